//! `search TERM`: Docker Hub's search, as dockerd asks it (`GET
//! https://index.docker.io/v1/search?q=TERM&n=LIMIT`) where the host lends a network.
//! Where it lends none (the browser, tests in memory), or Docker Hub does not answer,
//! the answer is the images of Berth's own catalog, and stderr says so: the catalog has
//! no descriptions or star counts, so a row names the tags the catalog has and shows no
//! stars (`-`). Filters (`stars=`, `is-official=`, `is-automated=`), `--limit`,
//! `--no-trunc` and `--format` work on either answer.

use super::flags::{flag, Command, Kind};
use super::{Host, Output};
use crate::image::distribution::http::Request;

pub static SEARCH: Command = Command::new("search", "[OPTIONS] TERM", "Search Docker Hub for images", &[], &[
    flag("filter", Kind::Filter, "Filter output based on conditions provided").short('f'),
    flag("format", Kind::String, "Pretty-print search using a Go template"),
    flag("limit", Kind::Int, "Max number of search results").default("25"),
    flag("no-trunc", Kind::Bool, "Don't truncate output"),
]);

/// Where Docker Hub answers searches.
const INDEX: &str = "https://index.docker.io/v1/search";

/// One result, with Docker's field names for `--format`.
struct Found {
    name: String,
    description: String,
    /// `None` where the answer has no count (Berth's catalog).
    stars: Option<u64>,
    official: bool,
    automated: bool,
}

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let p = match SEARCH.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let term = p.args[0].clone();
    let limit = p.int("limit");
    if !(1..=100).contains(&limit) {
        return Output::fail(1, format!("Error response from daemon: limit {limit} is outside the range of [1, 100]\n"));
    }
    let (mut stars, mut official, mut automated) = (0u64, None, None);
    for (k, v) in p.filters() {
        let bool_of = |v: &str| match v {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(Output::fail(1, format!("Error response from daemon: invalid filter '{k}={v}'\n"))),
        };
        match k.as_str() {
            "stars" => match v.parse() {
                Ok(n) => stars = n,
                Err(_) => return Output::fail(1, format!("Error response from daemon: invalid filter 'stars={v}'\n")),
            },
            "is-official" => match bool_of(&v) {
                Ok(b) => official = Some(b),
                Err(e) => return e,
            },
            "is-automated" => match bool_of(&v) {
                Ok(b) => automated = Some(b),
                Err(e) => return e,
            },
            _ => return Output::fail(1, format!("Error response from daemon: invalid filter '{k}'\n")),
        }
    }
    let mut note = String::new();
    let found = match host.remote().map(|r| from_hub(r, &term, limit)) {
        Some(Ok(found)) => found,
        other => {
            note = match other {
                Some(Err(why)) => format!("berth: Docker Hub's search did not answer ({why}); these are the images of Berth's offline catalog, which has no descriptions or star counts\n"),
                _ => "berth: no network here to reach Docker Hub's search; these are the images of Berth's offline catalog, which has no descriptions or star counts\n".into(),
            };
            from_catalog(&term)
        }
    };
    let shown: Vec<&Found> = found
        .iter()
        .filter(|f| f.stars.unwrap_or(0) >= stars || stars == 0)
        .filter(|f| official.is_none_or(|o| f.official == o))
        .filter(|f| automated.is_none_or(|a| f.automated == a))
        .take(limit as usize)
        .collect();
    let trunc = !p.bool("no-trunc");
    let description = |f: &Found| {
        let d = f.description.replace('\n', " ");
        if trunc && d.chars().count() > 45 {
            d.chars().take(44).collect::<String>() + "…"
        } else {
            d
        }
    };
    let stars_of = |f: &Found| f.stars.map_or_else(|| "-".to_string(), |s| s.to_string());
    let ok = |f: &Found| if f.official { "[OK]" } else { "" };
    let body = match p.value("format").filter(|f| !f.is_empty() && *f != "table") {
        Some(template) => {
            let rows: Vec<serde_json::Value> = shown.iter().map(|f| serde_json::json!({"Name": f.name, "Description": description(f), "StarCount": stars_of(f), "IsOfficial": ok(f), "IsAutomated": if f.automated { "[OK]" } else { "" }})).collect();
            match super::format::format_rows(template, &[("Name", "NAME"), ("Description", "DESCRIPTION"), ("StarCount", "STARS"), ("IsOfficial", "OFFICIAL"), ("IsAutomated", "AUTOMATED")], &rows) {
                Ok(text) => text,
                Err(e) => return super::format::template_error(e),
            }
        }
        None => {
            let mut rows = vec![vec!["NAME".to_string(), "DESCRIPTION".into(), "STARS".into(), "OFFICIAL".into()]];
            rows.extend(shown.iter().map(|f| vec![f.name.clone(), description(f), stars_of(f), ok(f).to_string()]));
            super::format::table(&rows)
        }
    };
    Output { code: 0, stdout: body.into_bytes(), stderr: note.into_bytes() }
}

/// Docker Hub's answer (`{"results": [{"name", "description", "star_count",
/// "is_official", "is_automated"}]}`), or why there is none.
fn from_hub(remote: &dyn crate::image::distribution::Remote, term: &str, limit: i64) -> Result<Vec<Found>, String> {
    let query = crate::image::distribution::percent(term);
    let response = remote.send(&Request::new("GET", format!("{INDEX}?q={query}&n={limit}"))).map_err(|e| e.to_string())?;
    if response.status != 200 {
        return Err(format!("HTTP {} {}", response.status, response.reason));
    }
    let doc: serde_json::Value = serde_json::from_slice(&response.body).map_err(|e| format!("an answer that is not JSON: {e}"))?;
    let results = doc.get("results").and_then(|r| r.as_array()).ok_or("an answer without results")?;
    Ok(results
        .iter()
        .map(|r| Found {
            name: r.get("name").and_then(|v| v.as_str()).unwrap_or("").to_string(),
            description: r.get("description").and_then(|v| v.as_str()).unwrap_or("").to_string(),
            stars: Some(r.get("star_count").and_then(|v| v.as_u64()).unwrap_or(0)),
            official: r.get("is_official").and_then(|v| v.as_bool()).unwrap_or(false),
            automated: r.get("is_automated").and_then(|v| v.as_bool()).unwrap_or(false),
        })
        .collect())
}

/// The catalog's repositories whose name contains the term, Docker's official ones
/// (no `/`) first.
fn from_catalog(term: &str) -> Vec<Found> {
    let mut repos: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for name in crate::image::catalog::Catalog::embedded().names() {
        if let Some((repo, tag)) = name.rsplit_once(':') {
            repos.entry(repo.to_string()).or_default().push(tag.to_string());
        }
    }
    let term = term.to_lowercase();
    let mut found: Vec<Found> = repos
        .into_iter()
        .filter(|(repo, _)| repo.to_lowercase().contains(&term))
        .map(|(repo, tags)| Found { official: !repo.contains('/'), description: format!("Berth's catalog: {}", tags.join(", ")), name: repo, stars: None, automated: false })
        .collect();
    found.sort_by_key(|f| !f.official);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::distribution::http::{HttpError, Response};

    /// Docker Hub's search, answering with a fixed page (and recording the URL asked).
    struct Hub(std::sync::Mutex<Vec<String>>);

    impl crate::image::distribution::Remote for Hub {
        fn send(&self, request: &Request) -> Result<Response, HttpError> {
            self.0.lock().unwrap().push(request.url.clone());
            let body = serde_json::json!({"num_results": 3, "query": "py", "results": [
                {"name": "python", "description": "Python is an interpreted, interactive, object-oriented, open-source programming language.", "star_count": 9000, "is_official": true, "is_automated": false},
                {"name": "someone/py-tools", "description": "tools", "star_count": 3, "is_official": false, "is_automated": true},
                {"name": "pypy", "description": "PyPy is a fast, compliant alternative implementation of Python.", "star_count": 400, "is_official": true, "is_automated": false}
            ]});
            Ok(Response { status: 200, reason: "OK".into(), headers: Vec::new(), body: body.to_string().into_bytes() })
        }
    }

    #[test]
    fn docker_hubs_answer_is_filtered_truncated_and_formatted_as_docker_prints_it() {
        let hub = Hub(Default::default());
        let found = from_hub(&hub, "py thon", 10).unwrap();
        assert_eq!(hub.0.lock().unwrap()[0], "https://index.docker.io/v1/search?q=py%20thon&n=10");
        assert_eq!(found.len(), 3);
        assert_eq!((found[0].stars, found[0].official, found[1].automated), (Some(9000), true, true));
    }

    #[test]
    fn the_catalog_answers_offline_and_says_so() {
        let found = from_catalog("PYTHON");
        assert_eq!(found[0].name, "python");
        assert!(found[0].official && found[0].stars.is_none());
        assert!(found[0].description.starts_with("Berth's catalog: ") && found[0].description.contains("3.11-slim"), "{}", found[0].description);
        assert!(found.iter().all(|f| f.name.contains("python")));
    }
}
