//! Counting a line (words, syllables) and splitting it into sentences with their pause marks.

use hypher::{Lang, hyphenate};

/// Whitespace-separated tokens holding a letter or a digit: "Child's" is one word, "wide-knee"
/// one, a lone "—" none.
pub fn words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .count()
}

/// The hyphenation patterns for a BCP 47 tag's language: English, German, Spanish, French or
/// Italian; any other language is counted with English's.
fn patterns(language: &str) -> Lang {
    let code = language.split(['-', '_']).next().unwrap_or("");
    match code.to_ascii_lowercase().as_str() {
        "de" => Lang::German,
        "es" => Lang::Spanish,
        "fr" => Lang::French,
        "it" => Lang::Italian,
        _ => Lang::English,
    }
}

/// Syllables of a text in `language` (a BCP 47 tag): each word's pieces under the language's
/// hyphenation patterns (TeX's, through `hypher`, with its minimum piece lengths). Apostrophes
/// join ("Child's" is one run, "l'enfant" one), any other character that is not a letter splits
/// ("wide-knee" is two runs); digits are not counted.
pub fn syllables(text: &str, language: &str) -> usize {
    let lang = patterns(language);
    let joined: String = text.chars().filter(|c| !matches!(c, '\'' | '’')).collect();
    joined
        .split(|c: char| !c.is_alphabetic())
        .filter(|run| !run.is_empty())
        .map(|run| hyphenate(run, lang).count())
        .sum()
}

/// One sentence of a line: its text and how many comma-class breaks it has inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// The sentence, trimmed, its closing mark and quotes included.
    pub text: String,
    /// Pauses inside it: `,` `;` `:` `…` before white space, and dashes not between digits.
    pub breaks: usize,
}

/// Quotes and brackets that close a sentence after its mark.
const CLOSERS: &[char] = &['"', '\'', '”', '’', '»', ')', ']'];
/// What may open a sentence besides a capital letter or a digit.
const OPENERS: &[char] = &['"', '“', '«', '‘', '(', '¿', '¡'];

/// The line split into sentences: at `.` `!` `?` (closing quotes and brackets kept with it)
/// followed by white space and then a capital, a digit or an opening quote, so "e.g. the" is no
/// end. Empty text gives no sentence.
pub fn sentences(text: &str) -> Vec<Sentence> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i].1, '.' | '!' | '?') {
            let mut end = i + 1;
            while end < chars.len()
                && (CLOSERS.contains(&chars[end].1) || ".!?".contains(chars[end].1))
            {
                end += 1;
            }
            let mut next = end;
            while next < chars.len() && chars[next].1.is_whitespace() {
                next += 1;
            }
            let opens = chars.get(next).is_some_and(|&(_, c)| {
                c.is_uppercase() || c.is_ascii_digit() || OPENERS.contains(&c)
            });
            if next > end && opens {
                let cut = chars[end].0;
                push_sentence(&mut found, &text[start..cut]);
                start = chars[next].0;
                i = next;
                continue;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    push_sentence(&mut found, &text[start..]);
    found
}

fn push_sentence(found: &mut Vec<Sentence>, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        found.push(Sentence {
            text: text.to_owned(),
            breaks: breaks(text),
        });
    }
}

/// Comma-class breaks inside a sentence: `,` `;` `:` `…` followed by white space, or an em or en
/// dash (spaced or not) unless it stands between two digits ("4–6 breaths" is a range).
fn breaks(sentence: &str) -> usize {
    let chars: Vec<char> = sentence.chars().collect();
    (0..chars.len())
        .filter(|&i| match chars[i] {
            ',' | ';' | ':' | '…' => chars.get(i + 1).is_some_and(|c| c.is_whitespace()),
            '—' | '–' => {
                let digit = |c: Option<&char>| c.is_some_and(char::is_ascii_digit);
                let between_digits = i > 0 && digit(chars.get(i - 1)) && digit(chars.get(i + 1));
                let at_edge = chars[..i].iter().all(|c| c.is_whitespace())
                    || chars[i + 1..].iter().all(|c| !c.is_alphanumeric());
                !between_digits && !at_edge
            }
            _ => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences of `text` with their breaks, for comparing with a list written out.
    fn split(text: &str) -> Vec<(String, usize)> {
        sentences(text)
            .into_iter()
            .map(|s| (s.text, s.breaks))
            .collect()
    }

    fn owned<const N: usize>(expected: [(&str, usize); N]) -> Vec<(String, usize)> {
        expected
            .iter()
            .map(|(t, b)| ((*t).to_owned(), *b))
            .collect()
    }

    #[test]
    fn words_are_tokens_with_a_letter_or_digit() {
        assert_eq!(words("Child's pose — wide-knee, 4 breaths."), 5);
        assert_eq!(words("  "), 0);
    }

    #[test]
    fn lines_split_at_sentence_ends_before_a_capital() {
        assert_eq!(
            split("Welcome. This is Child's pose, Balasana: a restorative rest."),
            owned([
                ("Welcome.", 0),
                ("This is Child's pose, Balasana: a restorative rest.", 2)
            ])
        );
        assert_eq!(split("Hold."), owned([("Hold.", 0)]));
        assert_eq!(split(""), owned::<0>([]));
        assert_eq!(
            split("Rest, e.g. the hands. Then go!"),
            owned([("Rest, e.g. the hands.", 1), ("Then go!", 0)])
        );
        assert_eq!(split("Dr. Smith"), owned([("Dr.", 0), ("Smith", 0)]));
        assert_eq!(
            split("Say \"rest.\" Then go."),
            owned([("Say \"rest.\"", 0), ("Then go.", 0)])
        );
        assert_eq!(
            split("Ready? ¿Listo? 3 more."),
            owned([("Ready?", 0), ("¿Listo?", 0), ("3 more.", 0)])
        );
    }

    #[test]
    fn numbers_and_ranges_are_no_breaks_but_dashes_are() {
        assert_eq!(
            split("Take 4.5 s, or 1,000 breaths."),
            owned([("Take 4.5 s, or 1,000 breaths.", 1)])
        );
        assert_eq!(
            split("Take 4–6 breaths."),
            owned([("Take 4–6 breaths.", 0)])
        );
        assert_eq!(split("Rest — then go."), owned([("Rest — then go.", 1)]));
        assert_eq!(
            split("Rest—then go; slowly… now."),
            owned([("Rest—then go; slowly… now.", 3)])
        );
    }

    #[test]
    fn syllables_are_hyphenation_pieces_per_language() {
        assert_eq!(syllables("extensive", "en-US"), 3);
        assert_eq!(syllables("Child's pose", "en"), 2);
        assert_eq!(syllables("wide-knee", "en"), 2);
        assert_eq!(syllables("Tomate", "de-DE"), 3);
        assert_eq!(syllables("4 5", "en"), 0);
        // Another language is counted with English patterns.
        assert_eq!(syllables("extensive", "pt-BR"), 3);
    }
}

/// The counter against the reference counts of `tools/syllables.tsv` (the CMU dictionary and
/// hand counts, `docs/pace.md` section 2): per language, the words counted exactly and the total
/// against the reference's. Hyphenation leaves a short word or a word's edge unsplit (a-way,
/// o-pen), so it undercounts by about as much on every pack of a language; these are the
/// measured figures, asserted so the counter cannot drift unnoticed.
#[cfg(test)]
mod reference {
    use super::syllables;

    /// (language, words, words counted exactly, syllables counted, syllables in the reference).
    fn agreement() -> Vec<(String, usize, usize, usize, usize)> {
        let mut found: Vec<(String, usize, usize, usize, usize)> = Vec::new();
        let table = include_str!("../../tools/syllables.tsv");
        for row in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let fields: Vec<&str> = row.split('\t').collect();
            let (language, word, count, source) = (fields[0], fields[1], fields[2], fields[3]);
            let reference: usize = count.parse().unwrap();
            // "cmudict:2/3": two pronunciations, either count accepted.
            let accepted: Vec<usize> = match source.split_once(':') {
                Some((_, counts)) => counts.split('/').map(|c| c.parse().unwrap()).collect(),
                None => vec![reference],
            };
            let counted = syllables(word, language);
            let i = match found.iter().position(|f| f.0 == language) {
                Some(i) => i,
                None => {
                    found.push((language.to_owned(), 0, 0, 0, 0));
                    found.len() - 1
                }
            };
            let f = &mut found[i];
            f.1 += 1;
            f.2 += usize::from(accepted.contains(&counted));
            f.3 += counted;
            f.4 += reference;
        }
        found
    }

    #[test]
    fn hyphenation_pieces_agree_with_the_reference_counts_as_measured() {
        let expected = [
            ("de", 79, 76, 139, 143),
            ("en", 243, 203, 308, 349),
            ("es", 72, 63, 148, 157),
            ("fr", 77, 70, 120, 119),
            ("it", 83, 77, 177, 183),
        ];
        let expected: Vec<(String, usize, usize, usize, usize)> = expected
            .iter()
            .map(|&(l, n, exact, counted, reference)| (l.to_owned(), n, exact, counted, reference))
            .collect();
        assert_eq!(agreement(), expected);
    }
}
