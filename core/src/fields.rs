//! Mapping validated JSON objects onto the typed structs with serde-json-core: the one way a
//! blob becomes a struct. It runs only on a document [`crate::json::validate`] accepted (the
//! scan guards serde-json-core's recursion and laxness); positions come back through one
//! function, [`crate::json::offset_in`], and a member's key offset by its name (`key_of`).
//! Arrays and maps of strings are counted here and read later in place by the same scanner
//! ([`crate::json::Scanner`]) from the member's position.
//!
//! serde's derived field matching compares a key's raw bytes, and serde-json-core hands keys
//! over still escaped, so `"sour\u0063e"` would be skipped as unknown. The objects here are
//! declared with [`json_object!`] instead: each key is compared with the field names after
//! unescaping (Go escapes `<`, `>`, `&` in keys), a known field given twice however it is
//! spelled is [`ErrorKind::DuplicateField`], and `null` for a known field reads as absent.
//! serde's errors carry no position, so the first fault and the offset of the member's key
//! are kept aside in a [`Ctx`] and returned instead.

use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};

use crate::error::{Error, ErrorKind, Result};
use crate::json::{offset_in, JsonStr};

/// The document being mapped and the first fault found in it.
pub(crate) struct Ctx<'de> {
    text: &'de str,
    fault: Cell<Option<Error>>,
}

impl<'de> Ctx<'de> {
    /// The offset of the opening quote of `key`, which serde-json-core borrows from `text`.
    fn key_offset(&self, key: JsonStr<'de>) -> usize {
        offset_in(self.text, key.raw()).map_or(0, |at| at - 1)
    }

    /// Keeps the innermost fault: the first one noted.
    fn note(&self, kind: ErrorKind, offset: usize) {
        if self.fault.get().is_none() {
            self.fault.set(Some(Error::new(kind, offset)));
        }
    }

    /// Reads the value of the member `key` into `slot`, refusing a second one.
    pub(crate) fn member<A: MapAccess<'de>, T: Member<'de>>(
        &self,
        map: &mut A,
        key: JsonStr<'de>,
        key_at: &mut Option<usize>,
        slot: &mut Option<T>,
    ) -> core::result::Result<(), A::Error> {
        let at = self.key_offset(key);
        if key_at.is_some() {
            self.note(ErrorKind::DuplicateField, at);
            return Err(serde::de::Error::custom("duplicate field"));
        }
        *key_at = Some(at);
        match T::read(map, self) {
            Ok(v) => {
                *slot = v;
                Ok(())
            }
            Err(e) => {
                self.note(ErrorKind::JsonType, at);
                Err(e)
            }
        }
    }
}

/// A member's value type: a leaf read by its `Deserialize`, or a [`json_object!`] struct.
pub(crate) trait Member<'de>: Sized {
    /// Reads the next value of `map`; `null` gives `None`.
    fn read<A: MapAccess<'de>>(
        map: &mut A,
        ctx: &Ctx<'de>,
    ) -> core::result::Result<Option<Self>, A::Error>;
}

impl<'de, T: serde::Deserialize<'de>> Member<'de> for T {
    fn read<A: MapAccess<'de>>(
        map: &mut A,
        _: &Ctx<'de>,
    ) -> core::result::Result<Option<Self>, A::Error> {
        map.next_value::<Option<T>>()
    }
}

/// A struct declared with [`json_object!`].
pub(crate) trait Object<'de>: Sized {
    /// Reads the members of one object.
    fn visit<A: MapAccess<'de>>(map: A, ctx: &Ctx<'de>) -> core::result::Result<Self, A::Error>;
}

/// Reads an object, or `null` as `None`.
pub(crate) struct Seed<'c, 'de, T> {
    ctx: &'c Ctx<'de>,
    of: PhantomData<T>,
}

impl<'c, 'de, T> Seed<'c, 'de, T> {
    pub(crate) fn new(ctx: &'c Ctx<'de>) -> Self {
        Seed {
            ctx,
            of: PhantomData,
        }
    }
}

impl<'de, T: Object<'de>> DeserializeSeed<'de> for Seed<'_, 'de, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Option<T>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: Object<'de>> Visitor<'de> for Seed<'_, 'de, T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_none<E: serde::de::Error>(self) -> core::result::Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Option<T>, D::Error> {
        d.deserialize_map(Members(self)).map(Some)
    }
}

struct Members<'c, 'de, T>(Seed<'c, 'de, T>);

impl<'de, T: Object<'de>> Visitor<'de> for Members<'_, 'de, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> core::result::Result<T, A::Error> {
        T::visit(map, self.0.ctx)
    }
}

/// Maps validated JSON `text` onto `T`; the document must be an object.
pub(crate) fn map<'de, T: Object<'de>>(text: &'de str) -> Result<T> {
    let ctx = Ctx {
        text,
        fault: Cell::new(None),
    };
    let mut de = serde_json_core::de::Deserializer::new(text.as_bytes(), None);
    match (&mut de).deserialize_map(Members(Seed::<T>::new(&ctx))) {
        Ok(v) => Ok(v),
        // The top level is not an object (the only fault outside a member).
        Err(_) => Err(ctx
            .fault
            .get()
            .unwrap_or(Error::new(ErrorKind::JsonType, 0))),
    }
}

/// Declares a struct of optional members mapped by [`map`]: each field `name: T` becomes
/// `name: Option<T>` (absent or `null` is `None`), and `key_of("name")` gives the offset of
/// that member's key, if present. `T` is a `Deserialize` leaf or another such struct. Fields
/// in a trailing `beside { name: T = init }` are not members: the mapping sets them to `init`.
macro_rules! json_object {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident<$lt:lifetime> {
            $($(#[$fm:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
        }
        $(beside { $($(#[$xm:meta])* $xfield:ident : $xty:ty = $xinit:expr),* $(,)? })?
    ) => {
        $(#[$m])*
        $vis struct $name<$lt> {
            $($(#[$fm])* $fvis $field: Option<$ty>,)*
            $($($(#[$xm])* $xfield: $xty,)*)?
            /// Where each present member's key starts, in field order; read by name with
            /// `key_of`.
            key_at: [Option<usize>; { [$(stringify!($field)),*].len() }],
        }

        impl $name<'_> {
            /// The offset of the opening quote of member `field`'s key, if it was present.
            #[allow(dead_code)]
            fn key_of(&self, field: &str) -> Option<usize> {
                let i = [$(stringify!($field)),*].iter().position(|f| *f == field)?;
                self.key_at[i]
            }
        }

        impl<'de: $lt, $lt> $crate::fields::Object<'de> for $name<$lt> {
            fn visit<A: serde::de::MapAccess<'de>>(
                mut map: A,
                ctx: &$crate::fields::Ctx<'de>,
            ) -> core::result::Result<Self, A::Error> {
                let mut v = $name {
                    $($field: None,)*
                    $($($xfield: $xinit,)*)?
                    key_at: [None; { [$(stringify!($field)),*].len() }],
                };
                'keys: while let Some(key) = map.next_key::<$crate::json::JsonStr<'de>>()? {
                    let mut i = 0;
                    // Most keys have no escape: compare bytes, and unescape only the others.
                    let plain = !key.raw().as_bytes().contains(&b'\\');
                    $(
                        if (plain && key.raw() == stringify!($field))
                            || (!plain && key.eq_str(stringify!($field)))
                        {
                            ctx.member(&mut map, key, &mut v.key_at[i], &mut v.$field)?;
                            continue 'keys;
                        }
                        i += 1;
                    )*
                    let _ = i;
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(v)
            }
        }

        impl<'de: $lt, $lt> $crate::fields::Member<'de> for $name<$lt>
        where
            $name<$lt>: $crate::fields::Object<'de>,
        {
            fn read<A: serde::de::MapAccess<'de>>(
                map: &mut A,
                ctx: &$crate::fields::Ctx<'de>,
            ) -> core::result::Result<Option<Self>, A::Error> {
                map.next_value_seed($crate::fields::Seed::<Self>::new(ctx))
            }
        }
    };
}
pub(crate) use json_object;
