//! Snapshot tests of the generated clients (insta), split so that a spec, patch or generator
//! change reads as a small diff: one snapshot per API tag (the `Client` methods and request
//! builders of its operations), the type definitions in alphabetical buckets, an operation
//! inventory, and what each patch touched. Review changes with `cargo insta review`.

use std::collections::BTreeMap;

mod common;

use common::{Generated, PROVISIONING, REST, builder_of, ops, parse, pretty};
use nrfcloud_api::{Api, Operation, Scheme};
use quote::ToTokens;
use syn::{ImplItem, Item};

const PATCHES: &str = include_str!(concat!(env!("OUT_DIR"), "/patches.json"));

/// The `T` of `Result<ResponseValue<T>, Error<E>>` returned by the builder's `send`.
fn success_type(g: &Generated, op: &Operation) -> String {
    let name = builder_of(g, op);
    let send = g.builders[&name]
        .iter()
        .filter_map(|it| {
            if let Item::Impl(i) = it {
                Some(i)
            } else {
                None
            }
        })
        .flat_map(|i| &i.items)
        .find_map(|it| match it {
            ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("builder {name} has no send"));
    let out = send
        .sig
        .output
        .to_token_stream()
        .to_string()
        .replace(' ', "");
    let inner = out
        .split_once("ResponseValue<")
        .map(|(_, r)| r)
        .unwrap_or(&out);
    let end = inner.find(">,Error").unwrap_or(inner.len());
    inner[..end].to_string()
}

fn snapshot_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn check_tags(api: Api, code: &str, prefix: &str) {
    let g = parse(code);
    let mut by_tag: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for op in ops(api) {
        let method = g.methods[op.method_name].clone();
        let mut items: Vec<Item> = vec![syn::parse_quote!(impl Client { #method })];
        items.extend(g.builders[&builder_of(&g, op)].iter().cloned());
        by_tag.entry(op.tag).or_default().extend(items);
    }
    for (tag, items) in by_tag {
        insta::assert_snapshot!(
            format!("{prefix}_tag_{}", snapshot_name(tag)),
            pretty(items)
        );
    }
    let mut buckets: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for (name, item) in &g.types {
        let bucket = match name.chars().next().unwrap_or('z').to_ascii_lowercase() {
            'a'..='c' => "a_c",
            'd'..='f' => "d_f",
            'g'..='l' => "g_l",
            'm'..='p' => "m_p",
            _ => "q_z",
        };
        buckets.entry(bucket).or_default().push(item.clone());
    }
    for (bucket, items) in buckets {
        insta::assert_snapshot!(format!("{prefix}_types_{bucket}"), pretty(items));
    }
}

#[test]
fn rest_code_per_tag() {
    check_tags(Api::Rest, REST, "rest");
}

#[test]
fn provisioning_code_per_tag() {
    check_tags(Api::Provisioning, PROVISIONING, "provisioning");
}

fn scheme_names(schemes: &[Scheme]) -> String {
    let names: Vec<&str> = schemes
        .iter()
        .map(|s| match s {
            Scheme::ApiKey => "api-key",
            Scheme::Jwt => "jwt",
            Scheme::ServiceEvaluationToken => "service-evaluation-token",
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(" or ")
    }
}

#[test]
fn operation_inventory() {
    let mut table = String::from(
        "| api | operationId | method | path | auth | body | success type | paginated |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (api, code) in [(Api::Rest, REST), (Api::Provisioning, PROVISIONING)] {
        let g = parse(code);
        for op in ops(api) {
            let body = if op.body_media_type.is_empty() {
                "-"
            } else {
                op.body_media_type
            };
            table.push_str(&format!(
                "| {:?} | {} | {} | {} | {} | {} | {} | {} |\n",
                api,
                op.operation_id,
                op.method,
                op.path,
                scheme_names(op.schemes),
                body,
                success_type(&g, op),
                if op.paginated { "yes" } else { "no" },
            ));
        }
    }
    insta::assert_snapshot!("operations", table);
}

#[test]
fn patch_report() {
    insta::assert_snapshot!("patches", PATCHES);
}
