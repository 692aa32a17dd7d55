//! The change summary between the previous snapshot and the new document: operations added,
//! removed or changed (operationId, parameters, body, responses, security) and schemas added,
//! removed or changed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation, with `$ref`s to components resolved one level so a parameter moved into
/// `components/parameters` is not reported as a change.
struct Operation<'a> {
    id: Option<&'a str>,
    /// Path-level then operation-level parameters, keyed by `(in, name)`.
    params: BTreeMap<(String, String), &'a Value>,
    body: Option<&'a Value>,
    responses: BTreeMap<&'a str, &'a Value>,
    security: Option<&'a Value>,
}

/// `(path, index in METHODS)` → operation, in path order.
type Operations<'a> = BTreeMap<(&'a str, usize), Operation<'a>>;

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with("#/") => doc.pointer(&r[1..]).unwrap_or(v),
        _ => v,
    }
}

fn operations(doc: &Value) -> Operations<'_> {
    let mut ops = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (path, item) in paths {
        let item = resolve(doc, item);
        for (m, method) in METHODS.iter().enumerate() {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let mut params = BTreeMap::new();
            for list in [item.get("parameters"), op.get("parameters")]
                .into_iter()
                .flatten()
            {
                for (i, p) in list.as_array().into_iter().flatten().enumerate() {
                    let p = resolve(doc, p);
                    let field = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
                    let key = (
                        field("in").unwrap_or_else(|| "?".into()),
                        field("name").unwrap_or_else(|| format!("#{i}")),
                    );
                    // An operation-level parameter overrides the path-level one.
                    params.insert(key, p);
                }
            }
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(code, r)| (code.as_str(), resolve(doc, r)))
                .collect();
            ops.insert(
                (path.as_str(), m),
                Operation {
                    id: op.get("operationId").and_then(Value::as_str),
                    params,
                    body: op.get("requestBody").map(|b| resolve(doc, b)),
                    responses,
                    security: op.get("security"),
                },
            );
        }
    }
    ops
}

fn schemas(doc: &Value) -> BTreeMap<&str, &Value> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

/// The keys whose values differ, e.g. `required, schema`.
fn changed_keys(a: &Value, b: &Value) -> String {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "value".into();
    };
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn op_title(path: &str, method: usize, op: &Operation) -> String {
    let id = op.id.map(|id| format!("  {id}")).unwrap_or_default();
    format!("{} {path}{id}", METHODS[method].to_ascii_uppercase())
}

fn media_types(body: &Value) -> String {
    let types: Vec<&str> = body
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    types.join(", ")
}

/// What differs between two versions of one operation, one line per aspect.
fn op_changes(old: &Operation, new: &Operation) -> Vec<String> {
    let mut lines = Vec::new();
    if old.id != new.id {
        lines.push(format!(
            "operationId: {} → {}",
            old.id.unwrap_or("(none)"),
            new.id.unwrap_or("(none)")
        ));
    }

    let mut params = Vec::new();
    for (key @ (place, name), p) in &new.params {
        match old.params.get(key) {
            None => {
                let required = p.get("required") == Some(&Value::Bool(true));
                let required = if required { " (required)" } else { "" };
                params.push(format!("+ {place} `{name}`{required}"));
            }
            Some(before) if before != p => {
                params.push(format!("~ {place} `{name}` ({})", changed_keys(before, p)));
            }
            Some(_) => {}
        }
    }
    for (place, name) in old.params.keys().filter(|k| !new.params.contains_key(*k)) {
        params.push(format!("- {place} `{name}`"));
    }
    if !params.is_empty() {
        lines.push(format!("parameters: {}", params.join("; ")));
    }

    match (old.body, new.body) {
        (None, Some(b)) => lines.push(format!("body: + {}", media_types(b))),
        (Some(_), None) => lines.push("body: removed".into()),
        (Some(a), Some(b)) if a != b => lines.push(format!("body: {}", body_change(a, b))),
        _ => {}
    }

    let mut responses = Vec::new();
    for (code, r) in &new.responses {
        match old.responses.get(code) {
            None => responses.push(format!("+ {code}")),
            Some(before) if before != r => {
                responses.push(format!("~ {code} ({})", changed_keys(before, r)));
            }
            Some(_) => {}
        }
    }
    for code in old
        .responses
        .keys()
        .filter(|c| !new.responses.contains_key(*c))
    {
        responses.push(format!("- {code}"));
    }
    if !responses.is_empty() {
        lines.push(format!("responses: {}", responses.join("; ")));
    }

    if old.security != new.security {
        lines.push("security: changed".into());
    }
    lines
}

/// A request body change, by media type where that is where it differs.
fn body_change(a: &Value, b: &Value) -> String {
    let empty = serde_json::Map::new();
    let content = |v: &'_ Value| v.get("content").and_then(Value::as_object).cloned();
    let (ca, cb) = (
        content(a).unwrap_or_else(|| empty.clone()),
        content(b).unwrap_or(empty),
    );
    let mut parts = Vec::new();
    for (mt, m) in &cb {
        match ca.get(mt) {
            None => parts.push(format!("+ {mt}")),
            Some(before) if before != m => {
                parts.push(format!("~ {mt} ({})", changed_keys(before, m)));
            }
            Some(_) => {}
        }
    }
    for mt in ca.keys().filter(|k| !cb.contains_key(*k)) {
        parts.push(format!("- {mt}"));
    }
    let others = {
        let (mut a, mut b) = (a.clone(), b.clone());
        for v in [&mut a, &mut b] {
            if let Some(o) = v.as_object_mut() {
                o.remove("content");
            }
        }
        (a != b).then(|| format!("~ {}", changed_keys(&a, &b)))
    };
    parts.extend(others);
    parts.join(", ")
}

/// The summary lines (indented by two spaces) of `new` against `old`.
pub fn summarise(old: Option<&Value>, new: &Value) -> Vec<String> {
    let new_ops = operations(new);
    let new_schemas = schemas(new);
    let Some(old) = old else {
        return vec![format!(
            "  no previous snapshot: {} operations, {} schemas",
            new_ops.len(),
            new_schemas.len()
        )];
    };
    let old_ops = operations(old);
    let old_schemas = schemas(old);
    let mut lines = Vec::new();

    let version = |d: &Value| {
        d.pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let (ov, nv) = (version(old), version(new));
    if ov != nv {
        lines.push(format!("  info.version: {ov} → {nv}"));
    }

    let added: Vec<String> = new_ops
        .iter()
        .filter(|(k, _)| !old_ops.contains_key(*k))
        .map(|((path, m), op)| format!("    + {}", op_title(path, *m, op)))
        .collect();
    let removed: Vec<String> = old_ops
        .iter()
        .filter(|(k, _)| !new_ops.contains_key(*k))
        .map(|((path, m), op)| format!("    - {}", op_title(path, *m, op)))
        .collect();
    let mut changed = Vec::new();
    let mut n_changed = 0;
    for (key @ (path, m), op) in &new_ops {
        let Some(before) = old_ops.get(key) else {
            continue;
        };
        let details = op_changes(before, op);
        if details.is_empty() {
            continue;
        }
        n_changed += 1;
        changed.push(format!("    ~ {}", op_title(path, *m, op)));
        changed.extend(details.into_iter().map(|d| format!("        {d}")));
    }
    lines.push(format!(
        "  operations: {} → {} ({} added, {} removed, {n_changed} changed)",
        old_ops.len(),
        new_ops.len(),
        added.len(),
        removed.len(),
    ));
    lines.extend(added);
    lines.extend(removed);
    lines.extend(changed);

    let s_added: Vec<&str> = new_schemas
        .keys()
        .filter(|k| !old_schemas.contains_key(*k))
        .copied()
        .collect();
    let s_removed: Vec<&str> = old_schemas
        .keys()
        .filter(|k| !new_schemas.contains_key(*k))
        .copied()
        .collect();
    let s_changed: Vec<&str> = new_schemas
        .iter()
        .filter(|(k, v)| old_schemas.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| *k)
        .collect();
    lines.push(format!(
        "  schemas: {} → {} ({} added, {} removed, {} changed)",
        old_schemas.len(),
        new_schemas.len(),
        s_added.len(),
        s_removed.len(),
        s_changed.len()
    ));
    lines.extend(s_added.iter().map(|s| format!("    + {s}")));
    lines.extend(s_removed.iter().map(|s| format!("    - {s}")));
    lines.extend(s_changed.iter().map(|s| format!("    ~ {s}")));
    lines
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(paths: Value, schemas: Value) -> Value {
        json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
               "paths": paths, "components": {"schemas": schemas}})
    }

    #[test]
    fn reports_each_aspect_of_a_changed_operation() {
        let old = doc(
            json!({"/d/{id}": {
                "parameters": [{"in": "path", "name": "id", "required": true, "schema": {"type": "string"}}],
                "put": {"operationId": "Put", "parameters": [{"$ref": "#/components/parameters/Limit"}],
                        "requestBody": {"content": {"application/json": {"schema": {"type": "string"}}}},
                        "responses": {"200": {"description": "ok"}, "404": {"description": "no"}}}}}),
            json!({"A": {"type": "string"}, "B": {"type": "integer"}}),
        );
        let mut old = old;
        old["components"]["parameters"] =
            json!({"Limit": {"in": "query", "name": "limit", "schema": {"type": "integer"}}});
        let new = doc(
            json!({"/d/{id}": {
                "parameters": [{"in": "path", "name": "id", "required": true, "schema": {"type": "integer"}}],
                "put": {"operationId": "Replace",
                        "parameters": [{"in": "header", "name": "If-Match", "required": true}],
                        "requestBody": {"required": true, "content": {"text/csv": {}}},
                        "responses": {"200": {"description": "fine"}, "204": {"description": "ok"}}},
                "get": {"responses": {}}}}),
            json!({"A": {"type": "string"}, "B": {"type": "number"}, "C": {}}),
        );
        let text = summarise(Some(&old), &new).join("\n");
        let expected = "  operations: 1 → 2 (1 added, 0 removed, 1 changed)
    + GET /d/{id}
    ~ PUT /d/{id}  Replace
        operationId: Put → Replace
        parameters: + header `If-Match` (required); ~ path `id` (schema); - query `limit`
        body: + text/csv, - application/json, ~ required
        responses: ~ 200 (description); + 204; - 404
  schemas: 2 → 3 (1 added, 0 removed, 1 changed)
    + C
    ~ B";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_ref_moved_into_components_is_no_change() {
        let inline = doc(
            json!({"/a": {"get": {"parameters": [{"in": "query", "name": "q"}], "responses": {}}}}),
            json!({}),
        );
        let mut by_ref = doc(
            json!({"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/Q"}], "responses": {}}}}),
            json!({}),
        );
        by_ref["components"]["parameters"] = json!({"Q": {"in": "query", "name": "q"}});
        let text = summarise(Some(&inline), &by_ref).join("\n");
        assert!(text.contains("(0 added, 0 removed, 0 changed)"), "{text}");
    }
}
