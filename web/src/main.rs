//! Berth's browser sandbox. For now a single page that lints the Dockerfile in a text
//! area with the engine's linter (the same diagnostics as `berth lint`); the terminal,
//! editor and worker arrive with the web issue.

use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    let source = use_state(|| String::from("FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"));
    let oninput = {
        let source = source.clone();
        Callback::from(move |e: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            source.set(area.value());
        })
    };
    let diagnostics = engine::dockerfile::lint::lint(&source, &Default::default());
    let lines = engine::dockerfile::LineIndex::new(&source);
    html! {
        <main>
            <h1>{ "Berth" }</h1>
            <textarea rows="12" cols="80" value={(*source).clone()} {oninput} />
            <ul>
                { for diagnostics.iter().map(|d| {
                    let (line, col) = lines.line_col(&source, d.span.start);
                    let rule = d.rule.as_deref().map(|r| format!("[{r}]")).unwrap_or_default();
                    html! { <li>{ format!("Dockerfile:{line}:{col}: {}{rule}: {}", d.severity.as_str(), d.message) }</li> }
                }) }
            </ul>
        </main>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
