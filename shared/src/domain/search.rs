//! How users are found: the words of their names and their address, as searched and as kept
//! in keys. Free text in a key is bounded here, once, so no name can make a key too long.

/// Most bytes of free text (a name word, an address, a display name) one key carries: the name
/// stays whole in the item, the key holds its first 256 bytes, and a search is cut the same way,
/// so it still finds it. With an id (at most 256 bytes) it stays far inside DynamoDB's limits.
pub const MAX_KEY_TEXT: usize = 256;

/// Lower-cases and removes `#`, the form searched and sorted on.
pub fn normalize(text: &str) -> String {
    key_text(&text.to_lowercase().replace('#', "")).to_owned()
}

/// `text` cut to [`MAX_KEY_TEXT`] bytes on a character boundary.
pub fn key_text(text: &str) -> &str {
    let cut = (0..=MAX_KEY_TEXT.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    &text[..cut]
}

/// The search tokens of a user: every word of the display name, and the UPN/SIP address.
pub fn search_tokens(display_name: Option<&str>, user_principal_name: Option<&str>) -> Vec<String> {
    let words = display_name.into_iter().flat_map(|n| n.split(|c: char| c.is_whitespace() || ",;()[]".contains(c)));
    let address = user_principal_name.map(|u| u.trim_start_matches("sip:"));
    let mut tokens: Vec<String> = words.chain(address).map(normalize).filter(|t| !t.is_empty()).collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_is_cut_at_256_bytes_on_a_character_boundary() {
        let long = "é".repeat(200);
        let key = normalize(&long);
        assert_eq!(key.len(), 256);
        assert!(long.starts_with(&key));
        assert_eq!(normalize(&"a".repeat(MAX_KEY_TEXT)).len(), MAX_KEY_TEXT);
        let word = "w".repeat(5000);
        assert_eq!(search_tokens(Some(&word), None), ["w".repeat(256)]);
    }

    #[test]
    fn tokens_cover_every_word_and_the_address() {
        assert_eq!(
            search_tokens(Some("Ada  Lovelace (Eng#1)"), Some("sip:Ada@Contoso.com")),
            ["ada", "ada@contoso.com", "eng1", "lovelace"]
        );
    }
}
