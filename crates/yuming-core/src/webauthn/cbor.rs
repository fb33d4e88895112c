//! The subset of CBOR (RFC 8949) that WebAuthn uses: definite-length items only, as CTAP2's
//! canonical encoding requires. Indefinite lengths, tags and nesting deeper than
//! [`MAX_DEPTH`] are refused rather than guessed at.

/// A decoded item.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Major type 0.
    Unsigned(u64),
    /// Major type 1: the value is `-1 - n`.
    Negative(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5, in encoded order.
    Map(Vec<(Value, Value)>),
    /// `true` / `false`.
    Bool(bool),
    /// `null` or `undefined`.
    Null,
    /// Any float (WebAuthn never needs its value).
    Float,
}

/// Why an input is not the CBOR WebAuthn sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// The input ends inside an item.
    #[error("truncated CBOR")]
    Truncated,
    /// An encoding outside the supported subset.
    #[error("unsupported CBOR")]
    Unsupported,
    /// Text that is not UTF-8.
    #[error("CBOR text is not UTF-8")]
    BadText,
}

/// How deep arrays and maps may nest.
pub const MAX_DEPTH: usize = 16;

/// Decodes one item from the front of `input`; returns it and how many bytes it took.
pub fn decode_prefix(input: &[u8]) -> Result<(Value, usize), CborError> {
    let mut reader = Reader { input, at: 0 };
    let value = reader.item(0)?;
    Ok((value, reader.at))
}

/// Decodes `input`, which must be exactly one item.
pub fn decode(input: &[u8]) -> Result<Value, CborError> {
    let (value, used) = decode_prefix(input)?;
    if used == input.len() {
        Ok(value)
    } else {
        Err(CborError::Unsupported)
    }
}

impl Value {
    /// The value for an integer key of a map (COSE keys use these).
    pub fn int_key(&self, key: i64) -> Option<&Value> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_int() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value for a text key of a map.
    pub fn text_key(&self, key: &str) -> Option<&Value> {
        self.entries()?
            .iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
            .map(|(_, v)| v)
    }

    fn entries(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The integer, when it is one that fits an `i64`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Unsigned(n) => i64::try_from(*n).ok(),
            Value::Negative(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CborError> {
        let end = self.at.checked_add(n).ok_or(CborError::Truncated)?;
        let slice = self.input.get(self.at..end).ok_or(CborError::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(
                self.take(2)?.try_into().map_err(|_| CborError::Truncated)?,
            )),
            26 => u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().map_err(|_| CborError::Truncated)?,
            )),
            27 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| CborError::Truncated)?),
            _ => return Err(CborError::Unsupported),
        })
    }

    /// A length that must fit in what is left of the input (each element takes at least
    /// one byte), so that a forged length cannot make us allocate.
    fn length(&mut self, info: u8) -> Result<usize, CborError> {
        let n = self.argument(info)?;
        let left = self.input.len() - self.at;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= left)
            .ok_or(CborError::Truncated)
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        if depth > MAX_DEPTH {
            return Err(CborError::Unsupported);
        }
        let initial = self.take(1)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        Ok(match major {
            0 => Value::Unsigned(self.argument(info)?),
            1 => Value::Negative(self.argument(info)?),
            2 => {
                let n = self.length(info)?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            3 => {
                let n = self.length(info)?;
                let bytes = self.take(n)?.to_vec();
                Value::Text(String::from_utf8(bytes).map_err(|_| CborError::BadText)?)
            }
            4 => {
                let n = self.length(info)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Value::Array(items)
            }
            5 => {
                let n = self.length(info)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.item(depth + 1)?;
                    let value = self.item(depth + 1)?;
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
            7 => match info {
                20 => Value::Bool(false),
                21 => Value::Bool(true),
                22 | 23 => Value::Null,
                25 => {
                    self.take(2)?;
                    Value::Float
                }
                26 => {
                    self.take(4)?;
                    Value::Float
                }
                27 => {
                    self.take(8)?;
                    Value::Float
                }
                _ => return Err(CborError::Unsupported),
            },
            // Tags (6) and indefinite lengths are not part of CTAP2 canonical CBOR.
            _ => return Err(CborError::Unsupported),
        })
    }
}

/// Encodes the few shapes tests and fixtures need (maps with int or text keys, bytes, text,
/// integers), canonically.
pub fn encode(value: &Value, out: &mut Vec<u8>) {
    fn head(major: u8, n: u64, out: &mut Vec<u8>) {
        let major = major << 5;
        if n < 24 {
            out.push(major | n as u8);
        } else if let Ok(n) = u8::try_from(n) {
            out.extend([major | 24, n]);
        } else if let Ok(n) = u16::try_from(n) {
            out.push(major | 25);
            out.extend(n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(n) {
            out.push(major | 26);
            out.extend(n.to_be_bytes());
        } else {
            out.push(major | 27);
            out.extend(n.to_be_bytes());
        }
    }
    match value {
        Value::Unsigned(n) => head(0, *n, out),
        Value::Negative(n) => head(1, *n, out),
        Value::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend(b);
        }
        Value::Text(t) => {
            head(3, t.len() as u64, out);
            out.extend(t.as_bytes());
        }
        Value::Array(items) => {
            head(4, items.len() as u64, out);
            for item in items {
                encode(item, out);
            }
        }
        Value::Map(entries) => {
            head(5, entries.len() as u64, out);
            for (k, v) in entries {
                encode(k, out);
                encode(v, out);
            }
        }
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Null => out.push(0xf6),
        Value::Float => out.extend([0xf9, 0, 0]),
    }
}

/// An integer as a CBOR value.
pub fn int(n: i64) -> Value {
    if n >= 0 {
        Value::Unsigned(n.unsigned_abs())
    } else {
        Value::Negative((-1 - n).unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc_8949_examples() {
        assert_eq!(decode(&[0x00]).unwrap(), Value::Unsigned(0));
        assert_eq!(decode(&[0x18, 0x64]).unwrap(), Value::Unsigned(100));
        assert_eq!(decode(&[0x39, 0x03, 0xe7]).unwrap().as_int(), Some(-1000));
        assert_eq!(decode(&[0x20]).unwrap().as_int(), Some(-1));
        assert_eq!(
            decode(&[0x44, 1, 2, 3, 4]).unwrap(),
            Value::Bytes(vec![1, 2, 3, 4])
        );
        assert_eq!(
            decode(&[0x62, 0x22, 0x5c]).unwrap(),
            Value::Text("\"\\".into())
        );
        // {"a": 1, "b": [2, 3]}
        let map = decode(&[0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03]).unwrap();
        assert_eq!(map.text_key("a"), Some(&Value::Unsigned(1)));
        assert_eq!(
            map.text_key("b"),
            Some(&Value::Array(vec![Value::Unsigned(2), Value::Unsigned(3)]))
        );
    }

    #[test]
    fn refuses_what_webauthn_never_sends() {
        // Indefinite-length byte string, a tag, a truncated item, trailing bytes, a forged
        // huge length, and nesting past the limit.
        assert_eq!(
            decode(&[0x5f, 0x41, 0x01, 0xff]),
            Err(CborError::Unsupported)
        );
        assert_eq!(decode(&[0xc1, 0x00]), Err(CborError::Unsupported));
        assert_eq!(decode(&[0x44, 1, 2]), Err(CborError::Truncated));
        assert_eq!(decode(&[0x01, 0x01]), Err(CborError::Unsupported));
        assert_eq!(
            decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(CborError::Truncated)
        );
        let deep = [vec![0x81; MAX_DEPTH + 2], vec![0x00]].concat();
        assert_eq!(decode(&deep), Err(CborError::Unsupported));
    }

    #[test]
    fn encoding_round_trips() {
        let value = Value::Map(vec![
            (int(1), int(2)),
            (int(-7), Value::Bytes(vec![0; 300])),
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (
                int(-70000),
                Value::Array(vec![Value::Bool(true), Value::Null]),
            ),
        ]);
        let mut bytes = Vec::new();
        encode(&value, &mut bytes);
        assert_eq!(decode(&bytes).unwrap(), value);
        assert_eq!(
            decode(&bytes)
                .unwrap()
                .int_key(-7)
                .unwrap()
                .as_bytes()
                .unwrap()
                .len(),
            300
        );
    }
}
