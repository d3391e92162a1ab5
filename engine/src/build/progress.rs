//! What a build's plain progress log says about its steps, for the page's build panel
//! and the sandbox's last-build view.

use serde::{Deserialize, Serialize};

/// One step of a build as its plain progress output showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildStep {
    /// `[2/4] RUN pip install -r requirements.txt`, `[builder 1/3] FROM …`.
    pub name: String,
    pub cached: bool,
}

/// The steps of a build from its plain progress output (`#5 [2/4] RUN …`, `#5 CACHED`).
pub fn build_steps(progress: &str) -> Vec<BuildStep> {
    let mut steps: Vec<(String, BuildStep)> = Vec::new();
    for line in progress.lines() {
        let Some(rest) = line.strip_prefix('#') else { continue };
        let Some((id, text)) = rest.split_once(' ') else { continue };
        if text.starts_with('[') && !text.starts_with("[internal]") && !text.starts_with("[auth]") {
            if !steps.iter().any(|(i, _)| i == id) {
                steps.push((id.to_string(), BuildStep { name: text.to_string(), cached: false }));
            }
        } else if text == "CACHED" {
            if let Some((_, s)) = steps.iter_mut().find(|(i, _)| i == id) {
                s.cached = true;
            }
        }
    }
    steps.into_iter().map(|(_, s)| s).collect()
}
