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

/// A search as asked (`GET /users?search=`): its words, normalized, an address without its
/// `sip:` scheme (the directory keeps it so). Every word must be a prefix of one of a user's
/// tokens; one of them, the key word, is read from the keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
}

impl Search {
    /// The search in `text`; no words (a listing of everyone) when it has none.
    pub fn parse(text: Option<&str>) -> Self {
        let text = text.map(|t| normalize(t.trim())).unwrap_or_default();
        let words = text.split_whitespace().map(|w| w.trim_start_matches("sip:")).filter(|w| !w.is_empty());
        let mut words: Vec<String> = words.map(str::to_owned).collect();
        words.dedup();
        Self { words }
    }

    /// The search's words as one text, the form its cursors are signed for.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// Whether the search has more than one word (so a page of key-word entries is filtered).
    pub fn is_narrowed(&self) -> bool {
        self.words.len() > 1
    }

    /// The word whose prefix the directory is read under: the longest (ties: the first), as a
    /// longer prefix is shared by fewer tokens ("john smith" reads the Smiths, not the Johns);
    /// `None` for a listing of everyone.
    pub fn key_word(&self) -> Option<&str> {
        let mut longest: Option<&str> = None;
        for word in &self.words {
            if longest.is_none_or(|l| word.len() > l.len()) {
                longest = Some(word);
            }
        }
        longest
    }

    /// Whether the user `display_name`/`user_principal_name` found under the token
    /// `found_under` is a match to list: every word starts one of their tokens, and
    /// `found_under` is the first of their tokens the key word starts (so a user with several
    /// such tokens is listed once, on whichever page that entry falls). Always, for a listing.
    pub fn matches(&self, display_name: Option<&str>, user_principal_name: Option<&str>, found_under: &str) -> bool {
        let Some(key) = self.key_word() else { return true };
        let tokens = search_tokens(display_name, user_principal_name);
        let first = tokens.iter().find(|t| t.starts_with(key));
        first.is_some_and(|t| t == found_under) && self.words.iter().all(|w| tokens.iter().any(|t| t.starts_with(w)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_word_is_read_and_every_word_must_match_once() {
        let search = Search::parse(Some("  John SMITH sip:j "));
        assert_eq!((search.key_word(), search.text().as_str()), (Some("smith"), "john smith j"));
        let (name, upn) = (Some("John Smith"), Some("sip:john.smith@contoso.com"));
        assert!(search.matches(name, upn, "smith"));
        assert!(!search.matches(Some("Jane Smith"), None, "smith"), "john is not a prefix of Jane's tokens");
        let john = Search::parse(Some("john"));
        assert!(john.matches(name, upn, "john"));
        assert!(!john.matches(name, upn, "john.smith@contoso.com"), "listed under its first matching token only");
        assert!(!john.matches(Some("Jane Doe"), None, "john"), "an entry of an older name");
        assert!(Search::parse(Some("  ")).matches(None, None, "anything"), "a listing lists everyone");
        assert_eq!(Search::parse(None).key_word(), None);
    }

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
