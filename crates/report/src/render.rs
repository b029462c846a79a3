//! HTML rendering with minijinja: templates embedded at build time, overridable from a directory.

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::ReportError;

/// The template files a report is made of.
pub const TEMPLATE_NAMES: [&str; 2] = ["report.html", "report.css"];

const EMBEDDED: [(&str, &str); 2] = [
    (
        "report.html",
        include_str!("../../../templates/report.html"),
    ),
    ("report.css", include_str!("../../../templates/report.css")),
];

/// The templates to render with: the embedded ones, each replaced by a file of the same name in
/// an override directory when there is one.
#[derive(Debug, Clone)]
pub struct Templates {
    /// `(name, source, the override file it was read from)`.
    sources: Vec<(String, String, Option<PathBuf>)>,
}

impl Templates {
    /// The templates built into the binary.
    pub fn embedded() -> Self {
        Templates {
            sources: EMBEDDED
                .iter()
                .map(|(n, s)| ((*n).to_owned(), (*s).to_owned(), None))
                .collect(),
        }
    }

    /// The embedded templates with those present in `dir` taking their place.
    pub fn from_dir(dir: &Path) -> Result<Self, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::TemplateDir {
                path: dir.to_owned(),
            });
        }
        let mut templates = Self::embedded();
        for (name, source, origin) in &mut templates.sources {
            let path: PathBuf = dir.join(name.as_str());
            if path.is_file() {
                *source = std::fs::read_to_string(&path).map_err(|error| ReportError::Io {
                    path: path.clone(),
                    error,
                })?;
                *origin = Some(path);
            }
        }
        Ok(templates)
    }

    /// Renders `report.html` with `context`. HTML is auto-escaped: only values passed through the
    /// `safe` filter (our own SVG charts) are inserted as markup. An error names the template's
    /// file (its path when it came from `--template-dir`) and line.
    pub fn render(&self, context: &impl Serialize) -> Result<String, ReportError> {
        self.render_inner(context).map_err(|error| match error {
            ReportError::Template {
                name,
                line,
                message,
            } => ReportError::Template {
                name: self
                    .sources
                    .iter()
                    .find_map(|(n, _, origin)| origin.as_ref().filter(|_| *n == name))
                    .map_or(name, |path| path.display().to_string()),
                line,
                message: message.replace('\n', " "),
            },
            other => other,
        })
    }

    fn render_inner(&self, context: &impl Serialize) -> Result<String, ReportError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        for (name, source, _) in &self.sources {
            env.add_template_owned(name.clone(), source.clone())?;
        }
        Ok(env.get_template("report.html")?.render(context)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Page {
        title: &'static str,
    }

    #[test]
    fn a_directory_overrides_templates_and_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.html"), "<h1>{{ title }}</h1>").unwrap();
        let html = Templates::from_dir(dir.path())
            .unwrap()
            .render(&Page { title: "<b>x</b>" })
            .unwrap();
        assert_eq!(html, "<h1>&lt;b&gt;x&lt;&#x2f;b&gt;</h1>");
        std::fs::write(dir.path().join("report.html"), "ok\n{% if %}").unwrap();
        let error = Templates::from_dir(dir.path())
            .unwrap()
            .render(&Page { title: "" })
            .unwrap_err()
            .to_string();
        let file = dir.path().join("report.html").display().to_string();
        assert!(
            error.contains(&format!("template {file}: line 2: ")),
            "{error}"
        );
        assert!(Templates::from_dir(&dir.path().join("missing")).is_err());
    }
}
