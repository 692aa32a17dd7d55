//! Generates the raw nRF Cloud clients from the OpenAPI documents in `openapi/`.
//!
//! For each document: parse, apply the named patches of `build/patches.rs` (each must change
//! exactly as many targets as it expects), write the patched document, generate with progenitor
//! (builder interface, merged tags), format with prettyplease, and write `OUT_DIR/<api>.rs`.
//! It also writes the operation table (`operations.rs`) that the hooks use to choose a credential
//! and a Content-Type, `ops.rs` with one typed constant per operation (so code that names an
//! operation fails to compile when it is misspelt or removed), and `meta.rs` with the
//! documents' hashes. No network access, ever.

#[path = "build/patches.rs"]
mod patches;

use std::{env, fs, path::Path};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One API: its module name, its document and its patches.
struct Api {
    module: &'static str,
    spec: &'static str,
    steps: &'static [patches::Step],
    /// Hand-written schemars impls that [`edition_2024_gen`] must rewrite (one per integer enum).
    gen_fixes: usize,
}

const APIS: [Api; 2] = [
    Api {
        module: "rest",
        spec: "openapi/nrfcloud-rest.json",
        steps: patches::REST,
        gen_fixes: 3,
    },
    Api {
        module: "provisioning",
        spec: "openapi/nrfcloud-provisioning.json",
        steps: patches::PROVISIONING,
        gen_fixes: 0,
    },
];

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    println!("cargo:rerun-if-changed=build/patches.rs");
    println!("cargo:rerun-if-env-changed=NRFCLOUD_SKIP_PATCHES");
    let skip_var = env::var("NRFCLOUD_SKIP_PATCHES").unwrap_or_default();
    let skip: Vec<&str> = skip_var
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();

    let mut table = String::from("&[\n");
    let mut ops = String::new();
    let mut index = 0;
    let mut meta = String::new();
    let mut report = serde_json::Map::new();
    for api in &APIS {
        println!("cargo:rerun-if-changed={}", api.spec);
        let text =
            fs::read(api.spec).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", api.spec)));
        let mut doc: Value = serde_json::from_slice(&text)
            .unwrap_or_else(|e| fail(&format!("{} is not valid JSON: {e}", api.spec)));
        let applied = patches::apply_all(&mut doc, api.steps, &skip)
            .unwrap_or_else(|msg| fail(&format!("{}: {msg}", api.spec)));
        report.insert(
            api.module.into(),
            applied
                .steps
                .iter()
                .map(|(name, n, touched)| serde_json::json!({"patch": name, "expect": n, "touched": touched}))
                .collect(),
        );
        let patched = serde_json::to_string_pretty(&doc).expect("a Value serializes");
        fs::write(
            out.join(format!("{}.patched.json", api.module)),
            patched + "\n",
        )
        .expect("write OUT_DIR");

        let code = generate(api, &doc);
        fs::write(out.join(format!("{}.rs", api.module)), code).expect("write OUT_DIR");
        ops.push_str(&format!(
            "/// The operations of [`crate::{m}`], one typed handle each.\npub mod {m} {{\n    use crate::{{Op, OPERATIONS}};\n",
            m = api.module
        ));
        table_rows(api.module, &doc, &mut table, &mut ops, &mut index);
        ops.push_str("}\n");

        let upper = api.module.to_ascii_uppercase();
        let version = doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("");
        meta.push_str(&format!(
            "/// sha256 of `{spec}` as committed (before patches).\n\
             pub const {upper}_SPEC_SHA256: &str = {sha:?};\n\
             /// `info.version` of `{spec}`.\n\
             pub const {upper}_SPEC_VERSION: &str = {version:?};\n",
            spec = api.spec,
            sha = hex(&Sha256::digest(&text)),
        ));
    }
    table.push_str("]\n");
    fs::write(out.join("operations.rs"), table).expect("write OUT_DIR");
    fs::write(out.join("ops.rs"), ops).expect("write OUT_DIR");
    fs::write(out.join("meta.rs"), meta).expect("write OUT_DIR");
    let report = serde_json::to_string_pretty(&Value::Object(report)).expect("a Value serializes");
    fs::write(out.join("patches.json"), report + "\n").expect("write OUT_DIR");
}

fn fail(msg: &str) -> ! {
    panic!("\n\nnrfcloud-api build script: {msg}\n\n")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs progenitor over the patched document and pretty-prints the result.
fn generate(api: &Api, doc: &Value) -> String {
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| fail(&format!("{} (patched) is not OpenAPI 3.0: {e}", api.spec)));
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote_path("crate::hooks::Inner"))
        .with_hooks(HooksMode::Expected)
        // Users can publish or validate against the JSON Schema of any model type.
        .with_derive("schemars::JsonSchema")
        // progenitor's default is 15 s for connect and total; the facade sets its own deadlines.
        .with_timeout(60)
        // Numbers the service sends as strings (patch `lenient-numbers`).
        .with_replacement(
            patches::LENIENT_NUMBER,
            "crate::lenient::Number",
            [progenitor::TypeImpl::Display].into_iter(),
        )
        // Times the service may send as Unix milliseconds (patch `lenient-timestamps`).
        .with_replacement(
            patches::LENIENT_TIMESTAMP,
            "crate::lenient::Timestamp",
            [progenitor::TypeImpl::Display].into_iter(),
        );
    let tokens = Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|e| fail(&format!("progenitor cannot generate {}: {e}", api.spec)));
    let file = syn::parse2::<syn::File>(tokens).expect("progenitor emits valid Rust");
    let (code, fixed) = edition_2024_gen(&prettyplease::unparse(&file));
    if fixed != api.gen_fixes {
        fail(&format!(
            "text fix `edition-2024-gen` rewrote {fixed} schemars impls in {}, expected {}. \
             If typify stopped emitting `gen` parameters, delete the fix; otherwise update the count.",
            api.spec, api.gen_fixes
        ));
    }
    format!(
        "// Generated by build.rs from {} (patched); do not edit.\n{code}",
        api.spec
    )
}

/// typify writes schemars-0.8 impls by hand for integer enums, with a parameter named `gen`,
/// which edition 2024 reserves (`expected identifier, found reserved keyword gen`). The parameter
/// becomes `generator` and the module path `r#gen`. Returns the code and the number of impls fixed.
fn edition_2024_gen(code: &str) -> (String, usize) {
    const PARAM: &str = "gen: &mut ::schemars::gen::SchemaGenerator";
    let fixed = code.matches(PARAM).count();
    let code = code
        .replace(PARAM, "generator: &mut ::schemars::r#gen::SchemaGenerator")
        .replace("::json_schema(gen)", "::json_schema(generator)");
    (code, fixed)
}

fn quote_path(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("a valid path")
}

/// Appends one `Operation { .. }` literal per operation of `doc` to `table`.
fn table_rows(module: &str, doc: &Value, table: &mut String, ops: &mut String, index: &mut usize) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("");
            let schemes: Vec<String> = op
                .get("security")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .flat_map(|req| req.keys())
                .map(|name| match name.as_str() {
                    "Simple Token" => "Scheme::ApiKey".to_string(),
                    "JSON Web Token" => "Scheme::Jwt".to_string(),
                    "Service Evaluation Token" => "Scheme::ServiceEvaluationToken".to_string(),
                    other => fail(&format!(
                        "{id}: unknown security scheme `{other}`; map it in build.rs"
                    )),
                })
                .collect();
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let paginated = params
                .iter()
                .any(|p| p.get("name") == Some(&Value::from("pageNextToken")));
            let body = op.get("requestBody");
            let upload = body
                .and_then(|b| b.get(patches::UPLOAD_MEDIA_TYPE))
                .and_then(Value::as_str);
            let header_ct = params
                .iter()
                .find(|p| p.get("name") == Some(&Value::from("Content-Type")))
                .and_then(|p| p.pointer("/schema/enum"))
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                });
            let media = match (upload, header_ct, body) {
                (Some(mt), _, _) => mt.to_string(),
                (None, Some(list), _) => list,
                (None, None, Some(b)) => b
                    .get("content")
                    .and_then(Value::as_object)
                    .map(|c| c.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                (None, None, None) => String::new(),
            };
            table.push_str(&format!(
                "    Operation {{ api: Api::{api}, operation_id: {id:?}, method_name: {snake:?}, \
                 method: {method:?}, path: {path:?}, tag: {tag:?}, schemes: &[{schemes}], \
                 body_media_type: {media:?}, upload_content_type: {upload:?}, paginated: {paginated} }},\n",
                api = if module == "rest" { "Rest" } else { "Provisioning" },
                snake = snake_case(id),
                method = method.to_ascii_uppercase(),
                schemes = schemes.join(", "),
            ));
            ops.push_str(&format!(
                "    /// `{id}`: {verb} `{path}`.\n    pub const {constant}: Op<crate::{module}::Client> = Op::new(&OPERATIONS[{index}]);\n",
                verb = method.to_ascii_uppercase(),
                constant = snake_case(id).to_ascii_uppercase(),
                index = *index,
            ));
            *index += 1;
        }
    }
}

/// progenitor's method name for an operationId (`sanitize(.., Case::Snake)`, i.e. heck).
fn snake_case(id: &str) -> String {
    use heck::ToSnakeCase;
    id.replace(|c: char| !c.is_alphanumeric(), "-")
        .to_snake_case()
}
