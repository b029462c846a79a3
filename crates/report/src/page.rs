//! What the template renders: cards, charts and tables, all plain data (escaped by the template).

use serde::Serialize;

/// A headline figure.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// The figure with its unit.
    pub value: String,
    /// What it is.
    pub label: String,
}

/// A chart section.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    /// Anchor id.
    pub id: String,
    /// Section title.
    pub title: String,
    /// The SVG document (our own markup; text from data is escaped by plotters).
    pub svg: String,
    /// A line under the chart.
    pub note: Option<String>,
}

/// A table row.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// Cells, as text.
    pub cells: Vec<String>,
    /// CSS class (`total`, `regressed`, `improved`).
    pub class: Option<&'static str>,
}

/// A table section.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    /// Anchor id.
    pub id: String,
    /// Section title.
    pub title: String,
    /// Column headers with units.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<RowView>,
    /// How many leading columns are text (left-aligned).
    pub text_columns: usize,
    /// Cells are preformatted text (tracebacks).
    pub pre: bool,
    /// Shown when there are no rows.
    pub empty: String,
}

impl TableView {
    /// A table with `text_columns` leading text columns.
    pub fn new(id: &str, title: &str, headers: &[&str], text_columns: usize) -> Self {
        TableView {
            id: id.to_owned(),
            title: title.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            text_columns,
            pre: false,
            empty: "None.".to_owned(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>, class: Option<&'static str>) {
        self.rows.push(RowView { cells, class });
    }
}

/// The whole page.
#[derive(Debug, Clone, Serialize)]
pub struct ReportPage {
    /// Page title.
    pub title: String,
    /// Lines under the title (files, dates, versions).
    pub meta: Vec<String>,
    /// Headline figures.
    pub cards: Vec<Card>,
    /// Notes under the cards.
    pub notes: Vec<String>,
    /// Charts.
    pub charts: Vec<ChartView>,
    /// Tables.
    pub tables: Vec<TableView>,
}
