//! The schema a database must have: every table (with its columns), index, trigger and view its
//! migrations make, read from `sqlite_schema`. The reference for a migration version is built by
//! running the same migrations on an empty in-memory database (once per version, then cached),
//! so it can never drift from what the migrations really do. A restore or an upload accepts a
//! file only when its schema equals the reference of its own version; `/health` reports a live
//! database missing what the app needs.

use super::DbKind;
use crate::migrations::{self, MIGRATIONS_TABLE};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, LazyLock, Mutex},
};

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaObject {
    /// `table`, `index`, `trigger` or `view`.
    pub kind: String,
    pub name: String,
    /// Its SQL with whitespace runs collapsed (`None` for SQLite's own automatic indexes).
    pub sql: Option<String>,
}

/// One column of a table, as `pragma_table_info` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub declared_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub primary_key: i64,
}

/// A database's schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    objects: BTreeMap<(String, String), SchemaObject>,
    columns: BTreeMap<String, Vec<Column>>,
}

/// Every schema object, SQLite's statistics tables aside (`ANALYZE` and `PRAGMA optimize` make
/// them; they change no behaviour).
pub const OBJECTS_SQL: &str =
    "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name";
/// Every column of every table but SQLite's own.
pub const COLUMNS_SQL: &str = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk \
     FROM sqlite_schema AS m, pragma_table_info(m.name) AS p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid";

fn collapse(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Schema {
    /// Builds a schema from the rows of [`OBJECTS_SQL`] and [`COLUMNS_SQL`].
    pub fn from_rows(
        objects: impl IntoIterator<Item = (String, String, Option<String>)>,
        columns: impl IntoIterator<Item = (String, Column)>,
    ) -> Self {
        let mut schema = Schema::default();
        for (kind, name, sql) in objects {
            let sql = sql.as_deref().map(collapse);
            schema.objects.insert((kind.clone(), name.clone()), SchemaObject { kind, name, sql });
        }
        for (table, column) in columns {
            schema.columns.entry(table).or_default().push(column);
        }
        schema
    }

    /// Reads the schema through a rusqlite connection.
    pub fn read(conn: &rusqlite::Connection) -> rusqlite::Result<Self> {
        let objects: Vec<(String, String, Option<String>)> = conn
            .prepare(OBJECTS_SQL)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let columns: Vec<(String, Column)> = conn
            .prepare(COLUMNS_SQL)?
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    Column {
                        name: r.get(1)?,
                        declared_type: r.get(2)?,
                        not_null: r.get(3)?,
                        default: r.get(4)?,
                        primary_key: r.get(5)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Schema::from_rows(objects, columns))
    }
}

/// The migration table's own definition depends on the sea-orm version that made it; only its
/// column names are compared.
const MIGRATIONS_TABLE_SQL: &str =
    "CREATE TABLE seaql_migrations (version varchar NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)";

/// The reference schema of each (kind, number of migrations applied), built once.
type ReferenceCache = Mutex<HashMap<(DbKind, usize), Arc<Schema>>>;

static REFERENCES: LazyLock<ReferenceCache> = LazyLock::new(Mutex::default);

/// The schema the first `applied` migrations of `kind` make, built once per version.
pub fn reference(kind: DbKind, applied: usize) -> Result<Arc<Schema>, String> {
    if let Some(found) = REFERENCES.lock().ok().and_then(|cache| cache.get(&(kind, applied)).cloned()) {
        return Ok(found);
    }
    let list = migrations::sql_of(kind);
    let steps = list.get(..applied).ok_or_else(|| format!("there are only {} migrations", list.len()))?;
    let failed = |e: rusqlite::Error| format!("cannot build the reference schema: {e}");
    let conn = rusqlite::Connection::open_in_memory().map_err(failed)?;
    conn.execute_batch(MIGRATIONS_TABLE_SQL).map_err(failed)?;
    for (_, sql) in steps {
        conn.execute_batch(sql).map_err(failed)?;
    }
    let schema = Arc::new(Schema::read(&conn).map_err(failed)?);
    if let Ok(mut cache) = REFERENCES.lock() {
        cache.insert((kind, applied), schema.clone());
    }
    Ok(schema)
}

/// How many of `kind`'s migrations `applied` (a database's migration table) amounts to: they
/// must be the first ones, in order, with none unknown.
pub fn version_of(kind: DbKind, applied: &[String]) -> Result<usize, String> {
    let known = migrations::known(kind);
    let mut sorted = applied.to_vec();
    sorted.sort();
    if known.get(..sorted.len()) == Some(&sorted[..]) {
        Ok(sorted.len())
    } else {
        let skipped: Vec<&str> = known
            .iter()
            .filter(|k| !sorted.contains(k) && sorted.iter().any(|later| later > *k))
            .map(String::as_str)
            .collect();
        Err(format!("its migrations table skips {} (applied out of order)", skipped.join(", ")))
    }
}

fn kind_word(kind: &str) -> &str {
    match kind {
        "table" | "index" | "trigger" | "view" => kind,
        _ => "object",
    }
}

/// Everything `found` has that `expected` lacks, lacks that it has, or defines otherwise, in
/// words ("trigger promote is made by no migration", "missing table user_themes", …).
pub fn differences(expected: &Schema, found: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for ((kind, name), object) in &expected.objects {
        match found.objects.get(&(kind.clone(), name.clone())) {
            None => out.push(format!("missing {} {name}", kind_word(kind))),
            Some(_) if name == MIGRATIONS_TABLE => {}
            Some(other) if kind == "table" => {
                let before = out.len();
                table_differences(name, &expected.columns, &found.columns, &mut out);
                if out.len() == before && other.sql != object.sql {
                    out.push(format!(
                        "table {name} is defined differently from what its migrations make (constraints, \
                         collations or defaults)"
                    ));
                }
            }
            Some(other) if other.sql != object.sql => {
                out.push(format!("{} {name} is defined differently from what its migrations make", kind_word(kind)))
            }
            Some(_) => {}
        }
    }
    for (kind, name) in found.objects.keys() {
        if !expected.objects.contains_key(&(kind.clone(), name.clone())) {
            out.push(format!("{} {name} is made by no migration", kind_word(kind)));
        }
    }
    out
}

/// What a live database lacks that the app needs: missing tables and indexes, and tables whose
/// columns differ. Extra objects are left to the restore check; the app still works with them.
pub fn missing_parts(expected: &Schema, found: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, name) in expected.objects.keys() {
        if !found.objects.contains_key(&(kind.clone(), name.clone())) {
            out.push(format!("missing {} {name}", kind_word(kind)));
        } else if kind == "table" && name != MIGRATIONS_TABLE {
            table_differences(name, &expected.columns, &found.columns, &mut out);
        }
    }
    out
}

fn table_differences(
    table: &str,
    expected: &BTreeMap<String, Vec<Column>>,
    found: &BTreeMap<String, Vec<Column>>,
    out: &mut Vec<String>,
) {
    let none = Vec::new();
    let (want, have) = (expected.get(table).unwrap_or(&none), found.get(table).unwrap_or(&none));
    for column in want {
        match have.iter().find(|c| c.name == column.name) {
            None => out.push(format!("table {table} lacks its column {}", column.name)),
            Some(c) if c != column => out.push(format!("table {table}: column {} is defined differently", column.name)),
            Some(_) => {}
        }
    }
    for column in have {
        if !want.iter().any(|c| c.name == column.name) {
            out.push(format!("table {table}: column {} is made by no migration", column.name));
        }
    }
}

/// Joins differences into one clause, at most `limit` of them named.
pub fn describe(differences: &[String], limit: usize) -> String {
    let mut text = differences.iter().take(limit).cloned().collect::<Vec<_>>().join("; ");
    if differences.len() > limit {
        text.push_str(&format!("; and {} more", differences.len() - limit));
    }
    text
}
