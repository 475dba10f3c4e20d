//! The validating scanner's position reports: the nesting depth after each token (a caller
//! that walks a document with it, as the Kata walks do, knows where a member lies by it).

use nydus_overlay_core::json::Scanner;
use nydus_overlay_tests::cases;

/// The depth after each token of `doc`, in order.
fn depths(doc: &str, want: &[usize]) {
    let mut s = Scanner::new(doc);
    assert_eq!(s.depth(), 0, "before the first token");
    let mut got = Vec::new();
    while let Some(t) = s.next() {
        t.expect("a valid document");
        got.push(s.depth());
    }
    assert_eq!(got, want, "{doc}");
}

cases! {
    depths;
    scalar_document: "7" => &[0];
    empty_object: "{}" => &[1, 0];
    object_of_array: r#"{"a":[1,2]}"# => &[1, 1, 2, 2, 2, 1, 0];
    nested_objects: r#"{"a":{"b":{"c":null}},"d":true}"# => &[1, 1, 2, 2, 3, 3, 3, 2, 1, 1, 1, 0];
    array_of_arrays: "[[],[[]]]" => &[1, 2, 1, 2, 3, 2, 1, 0];
}
