//! Lesson Markdown to a small tree the page draws with Yew. Safe by construction: raw
//! HTML in a lesson is shown as text, links keep only http(s), relative and `#` targets,
//! and images become their alt text, so a lesson cannot run script in the page.
//! Killercoda's `{{exec}}` marker (after a code block or inline code) makes the command
//! click-to-run, a block of several lines as one command; `{{exec interrupt}}` first
//! sends Ctrl-C; `{{copy}}` is accepted and dropped.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element { tag: &'static str, href: Option<String>, children: Vec<Node> },
    Text(String),
    /// A command the student can click to type it into the terminal.
    Exec { command: String, block: bool, interrupt: bool },
}

const EXEC_INFO: &str = "berth-exec";
const EXEC_INTERRUPT_INFO: &str = "berth-exec-interrupt";

/// Moves `{{exec}}` from a closing fence to the block's info string.
fn mark_exec_blocks(md: &str) -> String {
    let mut lines: Vec<String> = md.lines().map(str::to_string).collect();
    let mut open: Option<usize> = None;
    for i in 0..lines.len() {
        let t = lines[i].trim_start().to_string();
        if !t.starts_with("```") {
            continue;
        }
        match open {
            None => open = Some(i),
            Some(start) => {
                let rest = t.trim_start_matches('`').trim();
                if rest.starts_with("{{exec") {
                    let interrupt = rest.split("}}").next().is_some_and(|m| m.contains("interrupt"));
                    lines[start] = format!("```{}", if interrupt { EXEC_INTERRUPT_INFO } else { EXEC_INFO });
                }
                if rest.starts_with("{{") {
                    lines[i] = "```".into();
                }
                open = None;
            }
        }
    }
    lines.join("\n")
}

fn safe_href(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    match scheme {
        Some("http" | "https") => Some(url.to_string()),
        Some(s) if !s.contains('/') && !s.contains('#') && !s.contains('?') => None,
        _ => Some(url.to_string()),
    }
}

pub fn render(md: &str) -> Vec<Node> {
    let source = mark_exec_blocks(md);
    let mut stack: Vec<(&'static str, Option<String>, Vec<Node>)> = vec![("root", None, Vec::new())];
    // (exec, interrupt, text)
    let mut code_block: Option<(bool, bool, String)> = None;
    let mut image_depth = 0;
    let push = |stack: &mut Vec<(&'static str, Option<String>, Vec<Node>)>, node: Node| {
        if let Some(top) = stack.last_mut() {
            top.2.push(node);
        }
    };
    for event in Parser::new_ext(&source, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        if let Some((_, _, text)) = code_block.as_mut() {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (exec, interrupt, text) = code_block.take().unwrap_or_default();
                    let node = if exec {
                        Node::Exec { command: text.trim_end().to_string(), block: true, interrupt }
                    } else {
                        Node::Element { tag: "pre", href: None, children: vec![Node::Text(text)] }
                    };
                    push(&mut stack, node);
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code_block = Some((info == EXEC_INFO || info == EXEC_INTERRUPT_INFO, info == EXEC_INTERRUPT_INFO, String::new()));
            }
            Event::Start(Tag::Image { .. }) => image_depth += 1,
            Event::End(TagEnd::Image) => image_depth -= 1,
            Event::Start(tag) => {
                let (name, href) = match tag {
                    Tag::Paragraph => ("p", None),
                    Tag::Heading { level, .. } => (
                        match level {
                            HeadingLevel::H1 => "h3",
                            HeadingLevel::H2 => "h4",
                            _ => "h5",
                        },
                        None,
                    ),
                    Tag::BlockQuote(_) => ("blockquote", None),
                    Tag::List(Some(_)) => ("ol", None),
                    Tag::List(None) => ("ul", None),
                    Tag::Item => ("li", None),
                    Tag::Emphasis => ("em", None),
                    Tag::Strong => ("strong", None),
                    Tag::Strikethrough => ("s", None),
                    Tag::Link { dest_url, .. } => ("a", Some(safe_href(&dest_url).unwrap_or_default())),
                    Tag::Table(_) => ("table", None),
                    Tag::TableHead | Tag::TableRow => ("tr", None),
                    Tag::TableCell => ("td", None),
                    _ => ("span", None),
                };
                stack.push((name, href, Vec::new()));
            }
            Event::End(_) if stack.len() > 1 => {
                if let Some((tag, href, children)) = stack.pop() {
                    push(&mut stack, Node::Element { tag, href: href.filter(|h| !h.is_empty()), children });
                }
            }
            Event::End(_) => {}
            Event::Code(code) => push(&mut stack, Node::Element { tag: "code", href: None, children: vec![Node::Text(code.to_string())] }),
            Event::Text(text) => {
                let mut text = text.to_string();
                for marker in ["{{exec}}", "{{execute}}", "{{exec interrupt}}", "{{execute interrupt}}", "{{copy}}"] {
                    if let Some(rest) = text.strip_prefix(marker) {
                        // `cmd`{{exec}}: the inline code just before becomes runnable.
                        if marker != "{{copy}}" {
                            if let Some(top) = stack.last_mut() {
                                if let Some(Node::Element { tag: "code", children, .. }) = top.2.last() {
                                    let command = match children.first() {
                                        Some(Node::Text(t)) => t.clone(),
                                        _ => String::new(),
                                    };
                                    top.2.pop();
                                    top.2.push(Node::Exec { command, block: false, interrupt: marker.contains("interrupt") });
                                }
                            }
                        }
                        text = rest.to_string();
                    }
                }
                if !text.is_empty() {
                    push(&mut stack, Node::Text(text));
                }
            }
            Event::Html(raw) | Event::InlineHtml(raw) if image_depth == 0 => push(&mut stack, Node::Text(raw.to_string())),
            Event::SoftBreak => push(&mut stack, Node::Text(" ".into())),
            Event::HardBreak => push(&mut stack, Node::Element { tag: "br", href: None, children: Vec::new() }),
            Event::Rule => push(&mut stack, Node::Element { tag: "hr", href: None, children: Vec::new() }),
            _ => {}
        }
    }
    while stack.len() > 1 {
        if let Some((tag, href, children)) = stack.pop() {
            push(&mut stack, Node::Element { tag, href, children });
        }
    }
    stack.pop().map(|(_, _, c)| c).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) => t.clone(),
                Node::Exec { command, interrupt, .. } => format!("[{}run:{command}]", if *interrupt { "^C " } else { "" }),
                Node::Element { tag, href, children } => format!("<{tag}{}>{}</{tag}>", href.as_ref().map(|h| format!(" {h}")).unwrap_or_default(), text_of(children)),
            })
            .collect()
    }

    #[test]
    fn killercoda_exec_markers_make_commands_runnable() {
        let nodes = render("Build it:\n\n```\ndocker build -t x .\n```{{exec}}\n\nThen `docker run x`{{exec}} or `ls`{{copy}}.\n\n```\nnot runnable\n```\n");
        assert_eq!(text_of(&nodes), "<p>Build it:</p>[run:docker build -t x .]<p>Then [run:docker run x] or <code>ls</code>.</p><pre>not runnable\n</pre>");
    }

    #[test]
    fn a_block_of_several_lines_is_one_command_and_interrupt_is_kept() {
        let nodes = render("```\ncat <<EOF > app.py\nprint(1)\nEOF\n```{{exec}}\n\n```\ndocker ps\n```{{exec interrupt}}\n\nStop with `docker stop web`{{exec interrupt}}.\n");
        assert_eq!(text_of(&nodes), "[run:cat <<EOF > app.py\nprint(1)\nEOF][^C run:docker ps]<p>Stop with [^C run:docker stop web].</p>");
    }

    #[test]
    fn lessons_cannot_inject_html_or_script_links() {
        let nodes = render("<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://docs.docker.com/) [c](#/lessons/02) ![pic](http://x/y.png)\n");
        let html = text_of(&nodes);
        assert!(html.contains("<script>alert(1)</script>"), "raw HTML stays text: {html}");
        assert!(html.contains("<a>a</a>"), "javascript: links lose their target: {html}");
        assert!(html.contains("<a https://docs.docker.com/>b</a>") && html.contains("<a #/lessons/02>c</a>"), "{html}");
        assert!(!html.contains("y.png"), "images are not loaded: {html}");
        assert!(nodes.iter().all(|n| !matches!(n, Node::Element { tag: "script", .. })));
    }

    #[test]
    fn mangled_markdown_never_panics() {
        let src = "# T\n\nRun `ls`{{exec}} and:\n\n```\ndocker ps\n```{{exec}}\n\n- [a](https://x) *b* **c**\n\n<b>x</b> ![i](y)\n";
        let chars: Vec<char> = src.chars().collect();
        for i in 0..chars.len() {
            for insert in ['`', '{', '*', '[', '\n', '<', 'é'] {
                let mut c = chars.clone();
                c.insert(i, insert);
                let _ = render(&c.iter().collect::<String>());
            }
            let _ = render(&chars[..i].iter().collect::<String>());
        }
    }
}
