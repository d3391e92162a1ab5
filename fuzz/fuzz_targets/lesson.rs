//! Fuzzes lessons as an instructor could write them: the input, split at NUL bytes,
//! is `index.json`, a step's Markdown, its verify script, the intro's background
//! script, a starting file, a foreground script and an asset. The lesson loads or is
//! refused; a loaded one says what it cannot run, starts (assets placed, on the host it
//! asks for), opens its first step (the foreground script typed), checks it, solves it
//! by its solution and by its `{{exec}}` blocks, and finishes, each ending in a verdict
//! or an error within the lesson script limits, never a panic, an abort or a hang.
#![no_main]

use std::collections::BTreeMap;
use std::rc::Rc;

use engine::host::FixedClock;
use engine::lesson::Lesson;
use engine::workbench::MemorySource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let mut files = BTreeMap::new();
    for name in ["index.json", "step1.md", "verify1.sh", "background.sh", "files/Dockerfile", "foreground.sh", "assets/init.sh"] {
        if let Some(p) = parts.next() {
            files.insert(name.to_string(), p.to_vec());
        }
    }
    let Ok(lesson) = Lesson::load(Box::new(MemorySource(files))) else { return };
    let _ = lesson.unsupported();
    let _ = lesson.step_exec_blocks(0);
    let Ok(mut session) = lesson.start(Rc::new(FixedClock(1_700_000_000))) else { return };
    lesson.open_step(&mut session, 0);
    let _ = lesson.check(&mut session, 0);
    let _ = lesson.solve(&mut session, 0);
    let _ = lesson.solve_with(&mut session, 0, true);
    let _ = lesson.check(&mut session, 0);
    lesson.finish(&mut session);
});
