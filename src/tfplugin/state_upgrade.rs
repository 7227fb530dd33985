//! Reading stored state JSON with the current schema.
//!
//! Terraform hands UpgradeResourceState the state exactly as it stored it.
//! After a provider upgrade that JSON may carry attributes the schema has
//! since dropped (which the decoder would reject) or lack ones it has added.
//! We reshape the JSON to the current type first: unknown attributes go,
//! missing ones become null. Values are left untouched.

use serde_json::Value as Json;

use super::types::CtyType;

/// Returns `raw` reshaped to `ty`, re-serialised. Fails only on invalid JSON.
pub fn normalize(raw: &[u8], ty: &CtyType) -> Result<Vec<u8>, serde_json::Error> {
    let mut v: Json = serde_json::from_slice(raw)?;
    reshape(&mut v, ty);
    serde_json::to_vec(&v)
}

fn reshape(v: &mut Json, ty: &CtyType) {
    match (ty, v) {
        (CtyType::Object { attributes, .. }, Json::Object(map)) => {
            map.retain(|k, _| attributes.contains_key(k));
            for (name, aty) in attributes {
                let slot = map.entry(name.clone()).or_insert(Json::Null);
                reshape(slot, aty);
            }
        }
        (CtyType::List(t) | CtyType::Set(t), Json::Array(items)) => {
            for item in items {
                reshape(item, t);
            }
        }
        (CtyType::Map(t), Json::Object(map)) => {
            for item in map.values_mut() {
                reshape(item, t);
            }
        }
        (CtyType::Tuple(ts), Json::Array(items)) => {
            for (item, t) in items.iter_mut().zip(ts) {
                reshape(item, t);
            }
        }
        // Primitives, dynamic values and mismatches are left for the decoder,
        // which reports mismatches with their path.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty() -> CtyType {
        CtyType::object([
            ("id", CtyType::String),
            ("added", CtyType::Bool),
            (
                "rules",
                CtyType::list(CtyType::object([("port", CtyType::Number)])),
            ),
            (
                "labels",
                CtyType::map(CtyType::object([("v", CtyType::String)])),
            ),
        ])
    }

    #[test]
    fn drops_removed_attributes_and_nulls_new_ones_at_every_depth() {
        let raw = br#"{"id":"x","gone":1,"rules":[{"port":443,"proto":"tcp"}],"labels":{"a":{"v":"1","w":2}}}"#;
        let out: Json = serde_json::from_slice(&normalize(raw, &ty()).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!({
                "id": "x",
                "added": null,
                "rules": [{"port": 443}],
                "labels": {"a": {"v": "1"}}
            })
        );
    }

    #[test]
    fn keeps_big_numbers_exact() {
        let raw = br#"{"id":"x","rules":[{"port":123456789012345678901234567890}]}"#;
        let out = String::from_utf8(normalize(raw, &ty()).unwrap()).unwrap();
        assert!(out.contains("123456789012345678901234567890"), "{out}");
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(normalize(b"{not json", &ty()).is_err());
    }
}
