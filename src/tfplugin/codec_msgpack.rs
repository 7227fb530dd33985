//! msgpack `DynamicValue`s: how Terraform sends every config, plan and state,
//! and how we must answer. Decoding is driven by the schema type, as the
//! protocol's wire-format document prescribes; the rules below follow it and
//! cty's own encoder, so what we send back is what Terraform would send.
//!
//! - null is nil; unknown is any extension (code 12 with a payload carries
//!   refinements, kept raw so they go back out unchanged; anything else is a
//!   plain unknown, written as fixext1 code 0).
//! - numbers are ints, floats, or decimal text when neither holds them exactly.
//! - objects are maps with every attribute, keys sorted; maps are maps;
//!   lists, sets and tuples are arrays.
//! - `dynamic` is `[type JSON as bin, value]`, or a bare nil/unknown when even
//!   the type is not known.

use super::diagnostics::AttributePath;
use super::type_json;
use super::types::CtyType;
use super::value::{Number, Refinements, Value};

pub use super::codec_error::CodecError;

use rmp::Marker;

/// Extension code of a refined unknown value.
const REFINED_UNKNOWN_EXT: i8 = 12;
/// cty refuses refinement payloads larger than this; so do we.
const MAX_REFINEMENTS_LEN: usize = 1024;
/// Dynamic values let the input choose its own nesting; stop before the stack does.
const MAX_DEPTH: usize = 200;
/// The canonical plain unknown: fixext1, code 0, one ignored zero byte.
const PLAIN_UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

pub fn decode(bytes: &[u8], ty: &CtyType) -> Result<Value, CodecError> {
    let mut reader = Reader { buf: bytes, pos: 0 };
    let mut path = AttributePath::root();
    let value = reader.value(ty, &mut path, 0)?;
    if reader.pos != bytes.len() {
        return Err(CodecError::malformed(
            &path,
            format!(
                "{} unexpected bytes after the value",
                bytes.len() - reader.pos
            ),
        ));
    }
    Ok(value)
}

pub fn encode(v: &Value, ty: &CtyType) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    let mut path = AttributePath::root();
    write_value(&mut out, v, ty, &mut path)?;
    Ok(out)
}

// ---------------------------------------------------------------- decoding

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// What a msgpack item is, for "expected X, found Y" messages.
fn describe(m: Marker) -> &'static str {
    match m {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension",
        Marker::Reserved => "reserved byte 0xc1",
    }
}

fn is_ext(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

impl<'a> Reader<'a> {
    fn peek_marker(&self, path: &AttributePath) -> Result<Marker, CodecError> {
        self.buf
            .get(self.pos)
            .map(|b| Marker::from_u8(*b))
            .ok_or_else(|| CodecError::malformed(path, "unexpected end of msgpack input"))
    }

    fn take(&mut self, n: usize, path: &AttributePath) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or_else(|| CodecError::malformed(path, "unexpected end of msgpack input"))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn be<const N: usize>(&mut self, path: &AttributePath) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, path)?);
        Ok(out)
    }

    fn len8(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        Ok(u8::from_be_bytes(self.be::<1>(path)?) as usize)
    }
    fn len16(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        Ok(u16::from_be_bytes(self.be::<2>(path)?) as usize)
    }
    fn len32(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.be::<4>(path)?))
            .map_err(|_| CodecError::malformed(path, "length does not fit in memory"))
    }

    /// Consumes the marker already peeked.
    fn skip_marker(&mut self) {
        self.pos += 1;
    }

    fn value(
        &mut self,
        ty: &CtyType,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Value, CodecError> {
        if depth > MAX_DEPTH {
            return Err(CodecError::malformed(path, "value is nested too deeply"));
        }
        let marker = self.peek_marker(path)?;
        if is_ext(marker) {
            return self.unknown(ty, path);
        }
        if marker == Marker::Null {
            self.skip_marker();
            return Ok(Value::Null);
        }
        match ty {
            CtyType::Dynamic => self.dynamic(path, depth),
            CtyType::Bool => match marker {
                Marker::True => {
                    self.skip_marker();
                    Ok(Value::Bool(true))
                }
                Marker::False => {
                    self.skip_marker();
                    Ok(Value::Bool(false))
                }
                other => Err(CodecError::mismatch(path, "bool", describe(other))),
            },
            CtyType::Number => self.number(path).map(Value::Number),
            CtyType::String => self.string(path, "string").map(Value::String),
            CtyType::List(elem) => Ok(Value::List(self.array(elem, path, depth)?)),
            CtyType::Set(elem) => Ok(Value::Set(self.array(elem, path, depth)?)),
            CtyType::Tuple(elems) => {
                let n = self.array_len(path)?;
                if n != elems.len() {
                    return Err(CodecError::mismatch(
                        path,
                        &format!("tuple of {} elements", elems.len()),
                        format!("array of {n}"),
                    ));
                }
                let mut out = Vec::with_capacity(n);
                for (i, ety) in elems.iter().enumerate() {
                    path.0.push(super::diagnostics::PathStep::Index(i as i64));
                    let v = self.value(ety, path, depth + 1);
                    path.0.pop();
                    out.push(v?);
                }
                Ok(Value::Tuple(out))
            }
            CtyType::Map(elem) => {
                let n = self.map_len(path, "map")?;
                let mut out = std::collections::BTreeMap::new();
                for _ in 0..n {
                    let key = self.string(path, "string map key")?;
                    path.0.push(super::diagnostics::PathStep::Key(key.clone()));
                    let v = self.value(elem, path, depth + 1);
                    path.0.pop();
                    out.insert(key, v?);
                }
                Ok(Value::Map(out))
            }
            CtyType::Object { attributes, .. } => {
                let n = self.map_len(path, "object")?;
                let mut out = std::collections::BTreeMap::new();
                for _ in 0..n {
                    let key = self.string(path, "attribute name")?;
                    let Some(aty) = attributes.get(&key) else {
                        return Err(CodecError::UnexpectedAttribute {
                            path: path.clone(),
                            name: key,
                        });
                    };
                    path.0
                        .push(super::diagnostics::PathStep::Attribute(key.clone()));
                    let v = self.value(aty, path, depth + 1);
                    path.0.pop();
                    out.insert(key, v?);
                }
                for name in attributes.keys() {
                    out.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
        }
    }

    fn unknown(&mut self, ty: &CtyType, path: &AttributePath) -> Result<Value, CodecError> {
        let marker = self.peek_marker(path)?;
        self.skip_marker();
        let len = match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.len8(path)?,
            Marker::Ext16 => self.len16(path)?,
            _ => self.len32(path)?,
        };
        let code = i8::from_be_bytes(self.be::<1>(path)?);
        let payload = self.take(len, path)?;
        // A payload of at most one byte is the padding of a plain unknown.
        // cty ignores refinements on dynamic values, and so do we.
        if code != REFINED_UNKNOWN_EXT || len <= 1 || *ty == CtyType::Dynamic {
            return Ok(Value::Unknown(None));
        }
        if len > MAX_REFINEMENTS_LEN {
            return Err(CodecError::malformed(
                path,
                format!(
                    "unknown-value refinements of {len} bytes exceed the {MAX_REFINEMENTS_LEN}-byte limit"
                ),
            ));
        }
        Ok(Value::Unknown(Some(Refinements {
            raw: payload.to_vec(),
        })))
    }

    fn dynamic(&mut self, path: &mut AttributePath, depth: usize) -> Result<Value, CodecError> {
        let n = self.array_len(path)?;
        if n != 2 {
            return Err(CodecError::mismatch(
                path,
                "dynamic value [type, value]",
                format!("array of {n}"),
            ));
        }
        let type_bytes = match self.peek_marker(path)? {
            Marker::Bin8
            | Marker::Bin16
            | Marker::Bin32
            | Marker::FixStr(_)
            | Marker::Str8
            | Marker::Str16
            | Marker::Str32 => self.raw_bytes(path)?,
            other => {
                return Err(CodecError::mismatch(
                    path,
                    "type JSON (binary)",
                    describe(other),
                ));
            }
        };
        let ty = type_json::from_json_bytes(type_bytes)?;
        let inner = self.value(&ty, path, depth + 1)?;
        Ok(Value::Dynamic(Box::new(ty), Box::new(inner)))
    }

    /// The bytes of a str or bin item.
    fn raw_bytes(&mut self, path: &AttributePath) -> Result<&'a [u8], CodecError> {
        let marker = self.peek_marker(path)?;
        let len = match marker {
            Marker::FixStr(n) => {
                self.skip_marker();
                n as usize
            }
            Marker::Str8 | Marker::Bin8 => {
                self.skip_marker();
                self.len8(path)?
            }
            Marker::Str16 | Marker::Bin16 => {
                self.skip_marker();
                self.len16(path)?
            }
            Marker::Str32 | Marker::Bin32 => {
                self.skip_marker();
                self.len32(path)?
            }
            other => return Err(CodecError::mismatch(path, "string", describe(other))),
        };
        self.take(len, path)
    }

    fn string(&mut self, path: &AttributePath, what: &str) -> Result<String, CodecError> {
        match self.peek_marker(path)? {
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {}
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {}
            other => return Err(CodecError::mismatch(path, what, describe(other))),
        }
        let bytes = self.raw_bytes(path)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| CodecError::malformed(path, format!("{what} is not valid UTF-8")))
    }

    fn number(&mut self, path: &AttributePath) -> Result<Number, CodecError> {
        let marker = self.peek_marker(path)?;
        let n = match marker {
            Marker::FixPos(n) => {
                self.skip_marker();
                Number::from_u64(n as u64)
            }
            Marker::FixNeg(n) => {
                self.skip_marker();
                Number::from_i64(n as i64)
            }
            Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => {
                self.skip_marker();
                let v = match marker {
                    Marker::U8 => u8::from_be_bytes(self.be(path)?) as u64,
                    Marker::U16 => u16::from_be_bytes(self.be(path)?) as u64,
                    Marker::U32 => u32::from_be_bytes(self.be(path)?) as u64,
                    _ => u64::from_be_bytes(self.be(path)?),
                };
                Number::from_u64(v)
            }
            Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => {
                self.skip_marker();
                let v = match marker {
                    Marker::I8 => i8::from_be_bytes(self.be(path)?) as i64,
                    Marker::I16 => i16::from_be_bytes(self.be(path)?) as i64,
                    Marker::I32 => i32::from_be_bytes(self.be(path)?) as i64,
                    _ => i64::from_be_bytes(self.be(path)?),
                };
                Number::from_i64(v)
            }
            Marker::F32 | Marker::F64 => {
                self.skip_marker();
                let f = if marker == Marker::F32 {
                    f32::from_be_bytes(self.be(path)?) as f64
                } else {
                    f64::from_be_bytes(self.be(path)?)
                };
                Number::from_f64(f).ok_or_else(|| {
                    CodecError::malformed(
                        path,
                        format!("number {f} is not finite; only finite numbers are supported"),
                    )
                })?
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let text = self.string(path, "number")?;
                Number::parse(&text).ok_or_else(|| {
                    CodecError::mismatch(path, "number", format!("string {text:?}"))
                })?
            }
            other => return Err(CodecError::mismatch(path, "number", describe(other))),
        };
        Ok(n)
    }

    fn array_len(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        match self.peek_marker(path)? {
            Marker::FixArray(n) => {
                self.skip_marker();
                Ok(n as usize)
            }
            Marker::Array16 => {
                self.skip_marker();
                self.len16(path)
            }
            Marker::Array32 => {
                self.skip_marker();
                self.len32(path)
            }
            other => Err(CodecError::mismatch(path, "array", describe(other))),
        }
    }

    fn map_len(&mut self, path: &AttributePath, what: &str) -> Result<usize, CodecError> {
        match self.peek_marker(path)? {
            Marker::FixMap(n) => {
                self.skip_marker();
                Ok(n as usize)
            }
            Marker::Map16 => {
                self.skip_marker();
                self.len16(path)
            }
            Marker::Map32 => {
                self.skip_marker();
                self.len32(path)
            }
            other => Err(CodecError::mismatch(path, what, describe(other))),
        }
    }

    fn array(
        &mut self,
        elem: &CtyType,
        path: &mut AttributePath,
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        let n = self.array_len(path)?;
        // Every element takes at least one byte; never trust a length further.
        let mut out = Vec::with_capacity(n.min(self.buf.len() - self.pos));
        for i in 0..n {
            path.0.push(super::diagnostics::PathStep::Index(i as i64));
            let v = self.value(elem, path, depth + 1);
            path.0.pop();
            out.push(v?);
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------- encoding

/// Writing into a `Vec` cannot fail, but rmp's signatures say it might.
fn wrote<T, E: std::fmt::Debug>(r: Result<T, E>, path: &AttributePath) -> Result<(), CodecError> {
    r.map(|_| ())
        .map_err(|e| CodecError::malformed(path, format!("msgpack write failed: {e:?}")))
}

fn wire_len(n: usize, path: &AttributePath) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| CodecError::malformed(path, "collection too large for msgpack"))
}

/// The variant name of a value, for "expected X, found Y" messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
        Value::Dynamic(..) => "dynamic value",
    }
}

fn write_unknown(
    out: &mut Vec<u8>,
    refinements: &Option<Refinements>,
    path: &AttributePath,
) -> Result<(), CodecError> {
    match refinements {
        Some(r) if !r.raw.is_empty() => {
            let len = wire_len(r.raw.len(), path)?;
            wrote(
                rmp::encode::write_ext_meta(out, len, REFINED_UNKNOWN_EXT),
                path,
            )?;
            out.extend_from_slice(&r.raw);
        }
        // An empty refinement map must go out as a plain unknown.
        _ => out.extend_from_slice(&PLAIN_UNKNOWN),
    }
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: &Number, path: &AttributePath) -> Result<(), CodecError> {
    let d = n
        .decimal()
        .ok_or_else(|| CodecError::malformed(path, format!("{:?} is not a number", n.as_str())))?;
    if let Some(i) = d.to_i64() {
        wrote(rmp::encode::write_sint(out, i), path)
    } else if let Some(u) = d.to_u64() {
        wrote(rmp::encode::write_uint(out, u), path)
    } else if let Some(f) = d.to_exact_f64() {
        wrote(rmp::encode::write_f64(out, f), path)
    } else {
        wrote(rmp::encode::write_str(out, &n.json_text()), path)
    }
}

fn write_value(
    out: &mut Vec<u8>,
    v: &Value,
    ty: &CtyType,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    use super::diagnostics::PathStep;
    match (v, ty) {
        (Value::Unknown(r), _) => write_unknown(out, r, path),
        (Value::Null, _) => wrote(rmp::encode::write_nil(out), path),
        (Value::Dynamic(vt, inner), CtyType::Dynamic) => {
            wrote(rmp::encode::write_array_len(out, 2), path)?;
            wrote(
                rmp::encode::write_bin(out, &type_json::to_json_bytes(vt)),
                path,
            )?;
            write_value(out, inner, vt, path)
        }
        (other, CtyType::Dynamic) => Err(CodecError::mismatch(
            path,
            "dynamic value (Value::Dynamic carrying its type)",
            kind(other),
        )),
        // A dynamic wrapper whose type is the static type adds nothing.
        (Value::Dynamic(vt, inner), _) if **vt == *ty => write_value(out, inner, ty, path),
        (Value::Bool(b), CtyType::Bool) => wrote(rmp::encode::write_bool(out, *b), path),
        (Value::Number(n), CtyType::Number) => write_number(out, n, path),
        (Value::String(s), CtyType::String) => wrote(rmp::encode::write_str(out, s), path),
        (Value::List(items) | Value::Tuple(items), CtyType::List(elem))
        | (Value::Set(items), CtyType::List(elem)) => {
            write_sequence(out, items.iter(), items.len(), |_| elem, path)
        }
        (Value::Set(items) | Value::List(items) | Value::Tuple(items), CtyType::Set(elem)) => {
            let unique = distinct(items);
            write_sequence(out, unique.iter().copied(), unique.len(), |_| elem, path)
        }
        (Value::Tuple(items) | Value::List(items), CtyType::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(CodecError::mismatch(
                    path,
                    &format!("tuple of {} elements", elems.len()),
                    format!("{} elements", items.len()),
                ));
            }
            write_sequence(out, items.iter(), items.len(), |i| &elems[i], path)
        }
        (Value::Map(m) | Value::Object(m), CtyType::Map(elem)) => {
            wrote(
                rmp::encode::write_map_len(out, wire_len(m.len(), path)?),
                path,
            )?;
            for (k, item) in m {
                wrote(rmp::encode::write_str(out, k), path)?;
                path.0.push(PathStep::Key(k.clone()));
                let r = write_value(out, item, elem, path);
                path.0.pop();
                r?;
            }
            Ok(())
        }
        (Value::Object(m) | Value::Map(m), CtyType::Object { attributes, .. }) => {
            if let Some(extra) = m.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(CodecError::UnexpectedAttribute {
                    path: path.clone(),
                    name: extra.clone(),
                });
            }
            wrote(
                rmp::encode::write_map_len(out, wire_len(attributes.len(), path)?),
                path,
            )?;
            // BTreeMap iterates in byte order, the order cty sorts names in.
            for (name, aty) in attributes {
                wrote(rmp::encode::write_str(out, name), path)?;
                path.0.push(PathStep::Attribute(name.clone()));
                let r = write_value(out, m.get(name).unwrap_or(&Value::Null), aty, path);
                path.0.pop();
                r?;
            }
            Ok(())
        }
        (other, ty) => Err(CodecError::mismatch(path, &ty.friendly_name(), kind(other))),
    }
}

fn write_sequence<'v, 't>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = &'v Value>,
    len: usize,
    elem_type: impl Fn(usize) -> &'t CtyType,
    path: &mut AttributePath,
) -> Result<(), CodecError> {
    use super::diagnostics::PathStep;
    wrote(
        rmp::encode::write_array_len(out, wire_len(len, path)?),
        path,
    )?;
    for (i, item) in items.enumerate() {
        path.0.push(PathStep::Index(i as i64));
        let r = write_value(out, item, elem_type(i), path);
        path.0.pop();
        r?;
    }
    Ok(())
}

/// A set cannot hold the same known value twice; Terraform would collapse the
/// duplicates and then see a different number of elements than we planned.
/// Unknown elements are never duplicates of anything, as in cty.
pub(crate) fn distinct(items: &[Value]) -> Vec<&Value> {
    let mut out: Vec<&Value> = Vec::with_capacity(items.len());
    for item in items {
        let dup = item.is_wholly_known()
            && out
                .iter()
                .any(|seen| seen.is_wholly_known() && *seen == item);
        if !dup {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn num(t: &str) -> Value {
        Value::Number(Number::parse(t).unwrap())
    }

    fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// encode(decode(bytes)) must give the same bytes back.
    fn bytes_round_trip(bytes: &[u8], ty: &CtyType) -> Value {
        let v = decode(bytes, ty).unwrap();
        assert_eq!(encode(&v, ty).unwrap(), bytes, "re-encoding {v:?}");
        v
    }

    /// decode(encode(v)) must give v back.
    fn value_round_trip(v: &Value, ty: &CtyType) -> Vec<u8> {
        let bytes = encode(v, ty).unwrap();
        let back = decode(&bytes, ty).unwrap();
        assert_eq!(&back, v, "bytes {bytes:02x?}");
        assert_eq!(encode(&back, ty).unwrap(), bytes);
        bytes
    }

    #[test]
    fn hand_computed_object_fixture_sorts_keys() {
        let ty = CtyType::object([
            ("name", CtyType::String),
            ("count", CtyType::Number),
            ("enabled", CtyType::Bool),
            ("tags", CtyType::map(CtyType::String)),
        ]);
        let v = obj([
            (
                "tags",
                Value::Map(BTreeMap::from([
                    ("b".to_string(), Value::string("2")),
                    ("a".to_string(), Value::string("1")),
                ])),
            ),
            ("name", Value::string("x")),
            ("enabled", Value::Bool(true)),
            ("count", num("3")),
        ]);
        // {"count":3,"enabled":true,"name":"x","tags":{"a":"1","b":"2"}}
        let expected: Vec<u8> = vec![
            0x84, //
            0xa5, b'c', b'o', b'u', b'n', b't', 0x03, //
            0xa7, b'e', b'n', b'a', b'b', b'l', b'e', b'd', 0xc3, //
            0xa4, b'n', b'a', b'm', b'e', 0xa1, b'x', //
            0xa4, b't', b'a', b'g', b's', 0x82, 0xa1, b'a', 0xa1, b'1', 0xa1, b'b', 0xa1, b'2',
        ];
        assert_eq!(encode(&v, &ty).unwrap(), expected);
        assert_eq!(decode(&expected, &ty).unwrap(), v);
    }

    #[test]
    fn missing_attributes_encode_as_nil_and_decode_as_null() {
        let ty = CtyType::object([("a", CtyType::String), ("b", CtyType::Bool)]);
        let v = obj([("b", Value::Bool(false))]);
        let bytes = encode(&v, &ty).unwrap();
        assert_eq!(bytes, vec![0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xc2]);
        // An input map that leaves out an attribute still yields every attribute.
        let decoded = decode(&[0x81, 0xa1, b'b', 0xc2], &ty).unwrap();
        assert_eq!(
            decoded,
            obj([("a", Value::Null), ("b", Value::Bool(false))])
        );
    }

    #[test]
    fn unexpected_attributes_are_rejected_both_ways() {
        let ty = CtyType::object([("a", CtyType::String)]);
        let err = decode(&[0x81, 0xa1, b'z', 0xc0], &ty).unwrap_err();
        assert!(
            matches!(err, CodecError::UnexpectedAttribute { ref name, .. } if name == "z"),
            "{err}"
        );
        let err = encode(&obj([("z", Value::Null)]), &ty).unwrap_err();
        assert!(
            matches!(err, CodecError::UnexpectedAttribute { ref name, .. } if name == "z"),
            "{err}"
        );
    }

    #[test]
    fn primitives_round_trip() {
        assert_eq!(
            value_round_trip(&Value::Bool(true), &CtyType::Bool),
            vec![0xc3]
        );
        assert_eq!(
            value_round_trip(&Value::Bool(false), &CtyType::Bool),
            vec![0xc2]
        );
        assert_eq!(
            value_round_trip(&Value::string(""), &CtyType::String),
            vec![0xa0]
        );
        value_round_trip(&Value::string("héllo ✓"), &CtyType::String);
        let long = "x".repeat(70_000);
        let bytes = value_round_trip(&Value::string(long), &CtyType::String);
        assert_eq!(bytes[0], 0xdb, "str32 for a 70k string");
    }

    #[test]
    fn integers_use_compact_int_forms() {
        for (text, bytes) in [
            ("0", vec![0x00]),
            ("127", vec![0x7f]),
            ("128", vec![0xcc, 0x80]),
            ("-1", vec![0xff]),
            ("-33", vec![0xd0, 0xdf]),
            ("65536", vec![0xce, 0x00, 0x01, 0x00, 0x00]),
            (
                "9223372036854775807",
                vec![0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            (
                "-9223372036854775808",
                vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                "18446744073709551615",
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            // Integral text in other spellings still goes out as an integer.
            ("1e3", vec![0xcd, 0x03, 0xe8]),
            ("5.0", vec![0x05]),
        ] {
            assert_eq!(
                encode(&num(text), &CtyType::Number).unwrap(),
                bytes,
                "{text}"
            );
            assert_eq!(
                decode(&bytes, &CtyType::Number).unwrap(),
                num(text),
                "{text}"
            );
        }
    }

    #[test]
    fn every_int_marker_decodes() {
        let cases: [(&[u8], &str); 8] = [
            (&[0xcc, 0xff], "255"),
            (&[0xcd, 0x01, 0x00], "256"),
            (&[0xcf, 0, 0, 0, 0, 0, 0, 0, 7], "7"),
            (&[0xd0, 0x80], "-128"),
            (&[0xd1, 0xff, 0x00], "-256"),
            (&[0xd2, 0xff, 0xff, 0xff, 0xff], "-1"),
            (
                &[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
                "-2",
            ),
            (&[0xe0], "-32"),
        ];
        for (bytes, text) in cases {
            assert_eq!(
                decode(bytes, &CtyType::Number).unwrap(),
                num(text),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn numbers_beyond_i64_and_floats_are_exact() {
        // 2^64 is exactly a float64, so it travels as one (as cty does it).
        let big = num("18446744073709551616");
        let bytes = value_round_trip(&big, &CtyType::Number);
        assert_eq!(
            bytes,
            [&[0xcb][..], &18446744073709551616f64.to_be_bytes()].concat()
        );
        // Decimal text that no float holds exactly travels as text, untouched.
        for text in [
            "18446744073709551617",
            "1e400",
            "0.1",
            "-123456789012345678901234567890.5",
        ] {
            let mut wire = Vec::new();
            rmp::encode::write_str(&mut wire, text).unwrap();
            let v = bytes_round_trip(&wire, &CtyType::Number);
            assert_eq!(v, num(text));
            match v {
                Value::Number(n) => assert_eq!(n.as_str(), text),
                other => panic!("{other:?}"),
            }
        }
        // A float Terraform sends keeps its exact binary value, so it goes back
        // as the same float rather than as "0.1" (a different number).
        let f = [&[0xcb][..], &0.1f64.to_be_bytes()].concat();
        let v = bytes_round_trip(&f, &CtyType::Number);
        assert_ne!(v, num("0.1"));
        assert_eq!(
            v,
            num("0.1000000000000000055511151231257827021181583404541015625")
        );
        let half = [&[0xcb][..], &0.5f64.to_be_bytes()].concat();
        assert_eq!(bytes_round_trip(&half, &CtyType::Number), num("0.5"));
        assert_eq!(
            encode(&num("-2.25"), &CtyType::Number).unwrap(),
            [&[0xcb][..], &(-2.25f64).to_be_bytes()].concat()
        );
        // float32 input decodes to its exact value.
        let f32_bytes = [&[0xca][..], &1.5f32.to_be_bytes()].concat();
        assert_eq!(decode(&f32_bytes, &CtyType::Number).unwrap(), num("1.5"));
    }

    #[test]
    fn bad_numbers_are_errors() {
        let inf = [&[0xcb][..], &f64::INFINITY.to_be_bytes()].concat();
        assert!(matches!(
            decode(&inf, &CtyType::Number),
            Err(CodecError::Malformed { .. })
        ));
        assert!(matches!(
            decode(&[0xa3, b'a', b'b', b'c'], &CtyType::Number),
            Err(CodecError::Mismatch { .. })
        ));
        assert!(matches!(
            decode(&[0xc3], &CtyType::Number),
            Err(CodecError::Mismatch { .. })
        ));
    }

    #[test]
    fn collections_round_trip() {
        let list_ty = CtyType::list(CtyType::String);
        let list = Value::List(vec![Value::string("a"), Value::Null, Value::string("c")]);
        assert_eq!(
            value_round_trip(&list, &list_ty),
            vec![0x93, 0xa1, b'a', 0xc0, 0xa1, b'c']
        );
        value_round_trip(&Value::List(vec![]), &list_ty);
        let set_ty = CtyType::set(CtyType::Number);
        value_round_trip(&Value::Set(vec![num("3"), num("1"), num("2")]), &set_ty);
        let map_ty = CtyType::map(CtyType::list(CtyType::Bool));
        let map = Value::Map(BTreeMap::from([
            ("k1".to_string(), Value::List(vec![Value::Bool(true)])),
            ("k0".to_string(), Value::Null),
        ]));
        value_round_trip(&map, &map_ty);
        value_round_trip(&Value::Map(BTreeMap::new()), &map_ty);
        let tuple_ty = CtyType::Tuple(vec![CtyType::String, CtyType::Number, CtyType::Bool]);
        let tuple = Value::Tuple(vec![Value::string("s"), num("1"), Value::Null]);
        assert_eq!(
            value_round_trip(&tuple, &tuple_ty),
            vec![0x93, 0xa1, b's', 0x01, 0xc0]
        );
        assert!(matches!(
            decode(&[0x92, 0xa0, 0x01], &tuple_ty),
            Err(CodecError::Mismatch { .. })
        ));
        // Big arrays use the 16-bit length form.
        let many = Value::List((0..20).map(|i| num(&i.to_string())).collect());
        let bytes = value_round_trip(&many, &CtyType::list(CtyType::Number));
        assert_eq!(&bytes[..3], &[0xdc, 0x00, 20]);
    }

    #[test]
    fn nested_objects_and_null_at_every_level() {
        let inner = CtyType::object([
            ("port", CtyType::Number),
            ("names", CtyType::set(CtyType::String)),
        ]);
        let ty = CtyType::object([
            ("rules", CtyType::list(inner.clone())),
            ("by_name", CtyType::map(inner.clone())),
            ("single", inner.clone()),
        ]);
        let full = obj([
            (
                "rules",
                Value::List(vec![
                    obj([
                        ("port", num("443")),
                        (
                            "names",
                            Value::Set(vec![Value::string("a"), Value::string("b")]),
                        ),
                    ]),
                    obj([("port", Value::Null), ("names", Value::Null)]),
                    Value::Null,
                ]),
            ),
            (
                "by_name",
                Value::Map(BTreeMap::from([("x".to_string(), Value::Null)])),
            ),
            ("single", Value::Null),
        ]);
        value_round_trip(&full, &ty);
        value_round_trip(
            &obj([
                ("rules", Value::Null),
                ("by_name", Value::Null),
                ("single", Value::Null),
            ]),
            &ty,
        );
        assert_eq!(value_round_trip(&Value::Null, &ty), vec![0xc0]);
    }

    #[test]
    fn unknown_plain_and_refined_round_trip_byte_for_byte() {
        for ty in [
            CtyType::String,
            CtyType::Number,
            CtyType::list(CtyType::String),
            CtyType::Dynamic,
        ] {
            assert_eq!(bytes_round_trip(&PLAIN_UNKNOWN, &ty), Value::Unknown(None));
        }
        // Refined: not null (1 => false), string prefix (2 => "arn:").
        let payload = vec![0x82, 0x01, 0xc2, 0x02, 0xa4, b'a', b'r', b'n', b':'];
        let mut wire = vec![0xc7, payload.len() as u8, 12];
        wire.extend_from_slice(&payload);
        let v = bytes_round_trip(&wire, &CtyType::String);
        assert_eq!(
            v,
            Value::Unknown(Some(Refinements {
                raw: payload.clone()
            }))
        );
        // A 4-byte payload uses fixext4.
        let small = [0xd6, 12, 0x81, 0x01, 0xc2, 0x00];
        assert_eq!(
            bytes_round_trip(&small, &CtyType::String),
            Value::Unknown(Some(Refinements {
                raw: vec![0x81, 0x01, 0xc2, 0x00]
            }))
        );
        // Refined unknowns nested in an object survive too.
        let ty = CtyType::object([("arn", CtyType::String), ("id", CtyType::String)]);
        let mut nested = vec![0x82, 0xa3, b'a', b'r', b'n'];
        nested.extend_from_slice(&wire);
        nested.extend_from_slice(&[0xa2, b'i', b'd']);
        nested.extend_from_slice(&PLAIN_UNKNOWN);
        bytes_round_trip(&nested, &ty);
    }

    #[test]
    fn other_unknown_spellings_normalise() {
        // Any extension code, any length, is an unknown; only code 12 carries refinements.
        for wire in [
            vec![0xc7, 0x00, 0x00],
            vec![0xd5, 0x05, 0x01, 0x02],
            vec![0xd4, 12, 0x00],
        ] {
            let v = decode(&wire, &CtyType::String).unwrap();
            assert_eq!(v, Value::Unknown(None), "{wire:02x?}");
            assert_eq!(encode(&v, &CtyType::String).unwrap(), PLAIN_UNKNOWN);
        }
        // Empty refinements must not be written as extension 12.
        let empty = Value::Unknown(Some(Refinements { raw: vec![] }));
        assert_eq!(encode(&empty, &CtyType::String).unwrap(), PLAIN_UNKNOWN);
        // Oversized refinements are refused, as cty does.
        let mut huge = vec![0xc8, 0x04, 0x01, 12];
        huge.extend(std::iter::repeat_n(0u8, 1025));
        assert!(matches!(
            decode(&huge, &CtyType::String),
            Err(CodecError::Malformed { .. })
        ));
    }

    #[test]
    fn dynamic_values_carry_their_type_as_binary_json() {
        let v = Value::Dynamic(Box::new(CtyType::String), Box::new(Value::string("hi")));
        let bytes = value_round_trip(&v, &CtyType::Dynamic);
        let mut expected = vec![0x92, 0xc4, 8];
        expected.extend_from_slice(b"\"string\"");
        expected.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(bytes, expected);
        // Terraform may send the type JSON as a msgpack string; accept that too.
        let mut as_str = vec![0x92, 0xa8];
        as_str.extend_from_slice(b"\"string\"");
        as_str.extend_from_slice(&[0xa2, b'h', b'i']);
        assert_eq!(decode(&as_str, &CtyType::Dynamic).unwrap(), v);
        // Nested: an object with a dynamic attribute holding a list of numbers.
        let ty = CtyType::object([("any", CtyType::Dynamic), ("n", CtyType::Number)]);
        let inner_ty = CtyType::list(CtyType::Number);
        let nested = obj([
            (
                "any",
                Value::Dynamic(
                    Box::new(inner_ty),
                    Box::new(Value::List(vec![num("1"), num("2.5")])),
                ),
            ),
            ("n", num("0")),
        ]);
        value_round_trip(&nested, &ty);
        // Known type, unknown or null value; and wholly unknown / null.
        value_round_trip(
            &Value::Dynamic(Box::new(CtyType::Number), Box::new(Value::Unknown(None))),
            &CtyType::Dynamic,
        );
        value_round_trip(
            &Value::Dynamic(Box::new(CtyType::Bool), Box::new(Value::Null)),
            &CtyType::Dynamic,
        );
        assert_eq!(
            value_round_trip(&Value::Unknown(None), &CtyType::Dynamic),
            PLAIN_UNKNOWN.to_vec()
        );
        assert_eq!(
            value_round_trip(&Value::Null, &CtyType::Dynamic),
            vec![0xc0]
        );
        // A bare value cannot go into a dynamic slot: its type would be a guess.
        assert!(matches!(
            encode(&Value::string("x"), &CtyType::Dynamic),
            Err(CodecError::Mismatch { .. })
        ));
        // A wrapper matching the static type is transparent.
        assert_eq!(
            encode(&v, &CtyType::String).unwrap(),
            vec![0xa2, b'h', b'i']
        );
    }

    #[test]
    fn dynamic_decoding_errors() {
        assert!(matches!(
            decode(&[0x91, 0xc0], &CtyType::Dynamic),
            Err(CodecError::Mismatch { .. })
        ));
        let mut bad_type = vec![0x92, 0xc4, 5];
        bad_type.extend_from_slice(b"\"int\"");
        bad_type.push(0x01);
        assert!(matches!(
            decode(&bad_type, &CtyType::Dynamic),
            Err(CodecError::InvalidType(_))
        ));
    }

    #[test]
    fn sets_drop_known_duplicates_on_encode() {
        let ty = CtyType::set(CtyType::String);
        let v = Value::Set(vec![
            Value::string("a"),
            Value::string("a"),
            Value::Unknown(None),
            Value::Unknown(None),
        ]);
        let bytes = encode(&v, &ty).unwrap();
        assert_eq!(bytes, vec![0x93, 0xa1, b'a', 0xd4, 0, 0, 0xd4, 0, 0]);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let ty = CtyType::object([("a", CtyType::list(CtyType::String))]);
        for bad in [
            &[][..],
            &[0x81],
            &[0x81, 0xa1],
            &[0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0x81, 0xa1, b'a', 0x91, 0xa5, b'x'],
            &[0x81, 0x01, 0xc0],
            &[0xc1],
            &[0x81, 0xa1, b'a', 0x91, 0xa1, 0xff],
        ] {
            assert!(decode(bad, &ty).is_err(), "{bad:02x?}");
        }
        assert!(matches!(
            decode(&[0xc0, 0xc0], &ty),
            Err(CodecError::Malformed { .. })
        ));
        assert!(matches!(
            decode(&[0xa1, b'x'], &CtyType::Bool),
            Err(CodecError::Mismatch { .. })
        ));
    }

    #[test]
    fn errors_name_the_path() {
        let ty = CtyType::object([(
            "rules",
            CtyType::list(CtyType::object([("port", CtyType::Number)])),
        )]);
        let v = obj([(
            "rules",
            Value::List(vec![
                obj([("port", num("1"))]),
                obj([("port", Value::string("x"))]),
            ]),
        )]);
        let err = encode(&v, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules[1].port: expected number, found string"
        );
        let mut wire = vec![0x81, 0xa5];
        wire.extend_from_slice(b"rules");
        wire.extend_from_slice(&[0x91, 0x81, 0xa4, b'p', b'o', b'r', b't', 0xc3]);
        let err = decode(&wire, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rules[0].port: expected number, found bool"
        );
    }

    #[test]
    fn runaway_dynamic_nesting_is_refused() {
        // [["list","dynamic"], [[...]]] nested far deeper than any real value.
        let ty_json = br#"["list","dynamic"]"#;
        let mut wire = Vec::new();
        for _ in 0..300 {
            wire.extend_from_slice(&[0x92, 0xc4, ty_json.len() as u8]);
            wire.extend_from_slice(ty_json);
            wire.push(0x91);
        }
        wire.push(0xc0);
        let err = decode(&wire, &CtyType::Dynamic).unwrap_err();
        assert!(err.to_string().contains("nested too deeply"), "{err}");
    }
}
