//! `paths::safe_next` against the `url` crate, which parses as browsers do (WHATWG URL): over
//! every combination of up to four pieces known to confuse redirect checks (tabs, newlines,
//! backslashes, encoded slashes, control characters, schemes, hosts), what the check lets through
//! must stay on this origin and mean what the input meant.

use contract::paths::safe_next;
use url::Url;

const BASE: &str = "https://app.example/login?next=x";

const PIECES: &[&str] = &[
    "/",
    "\\",
    "\t",
    "\n",
    "\r",
    " ",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "%2F",
    "%5C",
    "%09",
    "%2f",
    "evil.example",
    "@",
    ".",
    "..",
    "?",
    "#",
    ":",
    "http:",
    "javascript:",
    "\u{3000}",
    "é",
];

fn base() -> Url {
    Url::parse(BASE).unwrap()
}

/// What the check must hold for one input: a refusal is `/`; anything else is a path whose
/// bytes can go into a `Location` header as they are, that the browser resolves on this origin
/// to the same URL as the input.
fn check(input: &str) -> Result<(), String> {
    let base = base();
    let out = safe_next(Some(input));
    if out == "/" {
        return Ok(());
    }
    if !out.starts_with('/') || !out.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{input:?} gave {out:?}: not a printable path"));
    }
    let target = base.join(&out).map_err(|e| format!("{input:?} gave {out:?}, which does not parse: {e}"))?;
    if target.origin() != base.origin() {
        return Err(format!("{input:?} gave {out:?}, which leads to {target}"));
    }
    let meant = base.join(input).map_err(|e| format!("{input:?} was accepted but does not parse: {e}"))?;
    if meant != target {
        return Err(format!("{input:?} means {meant}, but {out:?} leads to {target}"));
    }
    Ok(())
}

#[test]
fn every_combination_of_up_to_four_pieces_stays_on_this_origin() {
    let mut inputs = vec![String::new()];
    let mut all = Vec::new();
    for _ in 0..4 {
        let mut next = Vec::new();
        for prefix in &inputs {
            for piece in PIECES {
                next.push(format!("{prefix}{piece}"));
            }
        }
        all.extend(next.iter().cloned());
        inputs = next;
    }
    let mut wrong = Vec::new();
    for input in &all {
        for candidate in [input.clone(), format!("{input}/x"), format!("/{input}"), format!("{input}evil.example/")] {
            if let Err(e) = check(&candidate) {
                wrong.push(e);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} inputs were mishandled, e.g.:\n{}",
        wrong.len(),
        all.len() * 4,
        wrong[..wrong.len().min(20)].join("\n")
    );
}

#[test]
fn the_known_tricks_are_refused() {
    for bad in [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r\n/evil.example/",
        "\t//evil.example/",
        " //evil.example/",
        "\u{0}//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "//evil.example/x",
        "/\t\\evil.example",
        "https://evil.example/",
        "HTTPS://evil.example/",
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "evil.example",
        "",
        "\t",
    ] {
        assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
    }
    assert_eq!(safe_next(None), "/");
}

#[test]
fn paths_on_this_site_are_kept() {
    for good in [
        "/profile",
        "/profile?tab=1",
        "/backups?page=2&per_page=25#history",
        "/backups/12",
        "/theme?t=abc",
        "/%2F/evil.example",
        "/%09/evil.example",
        "/a//b",
        "/.well-known/x",
    ] {
        assert_eq!(safe_next(Some(good)), good, "{good:?}");
        check(good).unwrap();
    }
    // What browsers remove or change, the check removes or encodes the same way.
    assert_eq!(safe_next(Some(" /profile\t")), "/profile");
    assert_eq!(safe_next(Some("/pro\nfile")), "/profile");
    assert_eq!(safe_next(Some("/café")), "/caf%C3%A9");
    assert_eq!(safe_next(Some("/a b")), "/a%20b");
}
