//! `man`: the manual page, in roff.

/// The manual page.
pub fn man() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::command()).render(&mut out)?;
    Ok(out)
}
