//! Writes the hostile inputs of issue 14 at the size they were reported
//! (`tests/support/hostile.rs`) into a directory, one sub-directory per case,
//! with `commands.json` listing each case's command lines: the input of
//! `bench/hostile.py`.
//!
//! `cargo run --release --example hostile_inputs -- DIR`

#[path = "../tests/support/hostile.rs"]
mod hostile;

fn main() -> std::io::Result<()> {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: hostile_inputs DIR");
        std::process::exit(2);
    };
    let out = std::path::Path::new(&out);
    let mut index = Vec::new();
    for case in hostile::reported() {
        let dir = out.join(case.name);
        for (path, bytes) in &case.files {
            let p = dir.join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, bytes)?;
        }
        index.push(serde_json::json!({
            "name": case.name,
            "dir": dir,
            "commands": case.commands,
            "exits": case.exits,
            "stdin": case.stdin,
        }));
    }
    std::fs::write(
        out.join("commands.json"),
        serde_json::to_string_pretty(&index)?,
    )?;
    Ok(())
}
