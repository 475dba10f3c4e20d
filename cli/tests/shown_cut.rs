//! A path too long to show whole is cut at its limit, moved back to the start of a UTF-8
//! character when the limit falls inside one (at most 3 bytes back), and followed by its
//! length; a path that fits is shown whole.

use nydus_overlayfs::display::shown_up_to;

#[test]
fn a_cut_inside_a_character_moves_back_to_its_start() {
    // "/é" is 3 bytes; a limit of 2 falls inside the é (0xc3 0xa9).
    let path = "/ééé".as_bytes();
    assert_eq!(shown_up_to(path, 2).to_string(), "/... (7 bytes)");
    // Inside a 4-byte character (U+1F600), up to 3 bytes back.
    let path = "/\u{1F600}x".as_bytes();
    assert_eq!(shown_up_to(path, 4).to_string(), "/... (6 bytes)");
    // Not UTF-8: continuation bytes only; the cut goes back 3 bytes and no further.
    assert_eq!(
        shown_up_to(b"/\x80\x80\x80\x80x", 4).to_string(),
        "/... (6 bytes)"
    );
}

#[test]
fn a_cut_on_a_boundary_stays_and_a_short_path_is_whole() {
    assert_eq!(shown_up_to(b"/abcdef", 3).to_string(), "/ab... (7 bytes)");
    assert_eq!(shown_up_to(b"/a@@@@", 3).to_string(), "/a@... (6 bytes)");
    assert_eq!(shown_up_to(b"/abc", 4).to_string(), "/abc");
    assert_eq!(shown_up_to("/é".as_bytes(), 3).to_string(), "/é");
}
