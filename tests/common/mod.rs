//! Helpers shared by the root package's tests: the generated code, parsed with syn.

// Each test crate uses a subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;

use nrfcloud_api::{Api, OPERATIONS, Operation};
use syn::{ImplItem, Item, Type};

/// The generated REST client, as written by build.rs.
pub const REST: &str = include_str!(concat!(env!("OUT_DIR"), "/rest.rs"));
/// The generated Provisioning client.
pub const PROVISIONING: &str = include_str!(concat!(env!("OUT_DIR"), "/provisioning.rs"));

/// The parts of one generated file the snapshots are cut from.
pub struct Generated {
    /// `impl Client` methods by name.
    pub methods: BTreeMap<String, syn::ImplItemFn>,
    /// `builder::` structs and their impls, by struct name.
    pub builders: BTreeMap<String, Vec<Item>>,
    /// `types::` structs and enums (definitions only, no impls), by name.
    pub types: BTreeMap<String, Item>,
}

pub fn parse(code: &str) -> Generated {
    let file = syn::parse_file(code).expect("generated code parses");
    let mut g = Generated {
        methods: BTreeMap::new(),
        builders: BTreeMap::new(),
        types: BTreeMap::new(),
    };
    for item in file.items {
        match item {
            Item::Impl(imp) if is_client(&imp.self_ty) && imp.trait_.is_none() => {
                for it in imp.items {
                    if let ImplItem::Fn(f) = it {
                        g.methods.insert(f.sig.ident.to_string(), f);
                    }
                }
            }
            Item::Mod(m) if m.ident == "builder" => {
                for it in m.content.map(|c| c.1).unwrap_or_default() {
                    let name = match &it {
                        Item::Struct(s) => s.ident.to_string(),
                        Item::Impl(i) => type_name(&i.self_ty),
                        _ => continue,
                    };
                    g.builders.entry(name).or_default().push(it);
                }
            }
            Item::Mod(m) if m.ident == "types" => {
                for it in m.content.map(|c| c.1).unwrap_or_default() {
                    let name = match &it {
                        Item::Struct(s) => s.ident.to_string(),
                        Item::Enum(e) => e.ident.to_string(),
                        _ => continue,
                    };
                    g.types.insert(name, it);
                }
            }
            _ => {}
        }
    }
    g
}

pub fn is_client(ty: &Type) -> bool {
    type_name(ty) == "Client"
}

pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

pub fn pretty(items: Vec<Item>) -> String {
    let mut file: syn::File = syn::parse_quote!();
    file.items = items;
    prettyplease::unparse(&file)
}

pub fn ops(api: Api) -> impl Iterator<Item = &'static Operation> {
    OPERATIONS.iter().filter(move |op| op.api == api)
}

/// The builder struct a `Client` method returns (`builder::FetchDevice<'_>` → `FetchDevice`).
pub fn builder_of(g: &Generated, op: &Operation) -> String {
    let f = g
        .methods
        .get(op.method_name)
        .unwrap_or_else(|| panic!("no method {}", op.method_name));
    match &f.sig.output {
        syn::ReturnType::Type(_, ty) => type_name(ty),
        syn::ReturnType::Default => panic!("{} returns nothing", op.method_name),
    }
}
