//! The one test-case macro of the workspace. `tests/src/lib.rs` exports it; `cli`'s unit tests
//! and integration tests include this file by path (`cli` cannot depend on this crate, which
//! depends on it).

/// Table cases as named tests: `cases! { check; name: a, b => want, ...; ... }` makes one
/// `#[test] fn name()` per row that calls `check(a, b, want, ...)` (the `=> ...` part is
/// optional; it reads as "gives"), so a failing row neither hides the others nor loses its
/// name. Attributes (`#[cfg(...)]`, doc comments) before a row apply to its test.
///
/// - `cases! { named check; ... }` passes the row's name first: `check("name", a, ...)`.
/// - `cases! { check; listed ROWS: T; ... }` also defines `const ROWS: &[T]` holding each
///   row's first argument, for an ordinary test that the rows cover a table.
#[macro_export]
macro_rules! cases {
    (@list $list:ident: $ty:ty; $($(#[$m:meta])* $name:ident: $first:expr $(, $arg:expr)* $(=> $($want:expr),+)?;)*) => {
        /// The first argument of each row of the cases, in order.
        const $list: &[$ty] = &[$($first),*];
    };
    (named $check:expr; $($(#[$m:meta])* $name:ident: $($arg:expr),+ $(=> $($want:expr),+)?;)*) => {$(
        $(#[$m])*
        #[test]
        fn $name() {
            $check(stringify!($name), $($arg),+ $(, $($want),+)?)
        }
    )*};
    ($check:expr; listed $list:ident: $ty:ty; $($rows:tt)*) => {
        $crate::cases!(@list $list: $ty; $($rows)*);
        $crate::cases!($check; $($rows)*);
    };
    ($check:expr; $($(#[$m:meta])* $name:ident: $($arg:expr),+ $(=> $($want:expr),+)?;)*) => {$(
        $(#[$m])*
        #[test]
        fn $name() {
            $check($($arg),+ $(, $($want),+)?)
        }
    )*};
}
