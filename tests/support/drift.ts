// Schema drift: does the migrated database look exactly like the Prisma schema
// (every file in prisma/schema) says it should? Migrations are written by hand
// here (prisma migrate cannot run offline), so this comparison is what catches
// a forgotten column, a wrong type or a missing index before Prisma Client
// meets it at run time.
//
// Both sides are reduced to the same shape (tables, columns, primary keys,
// indexes, foreign keys, enums) and compared generically, so new models need no
// changes here. Column defaults and CHECK constraints are not compared.
// Where the schema-to-SQL mapping is unclear, the comparison reports a
// difference rather than assume the two agree.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getDMMF } from "@prisma/get-dmmf";
import pg from "pg";

type DMMFDocument = Exclude<ReturnType<typeof getDMMF>, { reason: string }>;
type Datamodel = DMMFDocument["datamodel"];
type DmmfModel = Datamodel["models"][number];
type DmmfField = DmmfModel["fields"][number];
type DmmfIndex = Datamodel["indexes"][number];

export type Column = { type: string; nullable: boolean };
export type IndexShape = {
  /** undefined when the schema's default name is too long to predict. */
  name: string | undefined;
  unique: boolean;
  method: string;
  /** Rendered key columns: `"createdAt" DESC`, `("expr")`, `"s" text_pattern_ops`. */
  columns: string[];
  /** Normalised WHERE clause of a partial index. */
  predicate: string | null;
};
export type ForeignKeyShape = { columns: string[]; refTable: string; refColumns: string[]; onDelete: string; onUpdate: string };
export type TableShape = {
  columns: Map<string, Column>;
  primaryKey: { name: string | undefined; columns: string[] } | null;
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
};
export type SchemaShape = { tables: Map<string, TableShape>; enums: Map<string, string[]> };
/** A multi-file schema as getDMMF takes it: [path, content] per file. */
export type SchemaFiles = [path: string, content: string][];
/** One schema text, or the files of a schema folder. */
export type SchemaSource = string | SchemaFiles;

// Partitions are compared through their parent table, which is what the schema describes.
const IGNORED_TABLES = new Set(["_prisma_migrations"]);
const PG_MAX_IDENTIFIER = 63;

/** Every .prisma file under `dir` (Prisma reads subfolders too), in a stable order. */
export function readSchemaFolder(dir = "prisma/schema"): SchemaFiles {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".prisma"))
    .sort()
    .map((f) => [join(dir, f), readFileSync(join(dir, f), "utf8")]);
}

/** Human-readable differences between a Prisma schema and a database; empty when they agree. */
export async function findSchemaDrift(schema: SchemaSource, connectionString: string): Promise<string[]> {
  const expected = expectedShape(schema);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return compareShapes(expected, await databaseShape(client));
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- schema side

export function expectedShape(schema: SchemaSource): SchemaShape {
  const result = getDMMF({ datamodel: schema });
  if ("reason" in result) {
    // eslint-disable-next-line no-control-regex
    throw new Error(`prisma schema does not parse: ${String(result.error).replace(/\x1b\[[0-9;]*m/g, "")}`);
  }
  const { models, enums, indexes } = result.datamodel;
  // No block spans two files, so the text scan can read them as one.
  const extras = scanSchemaText(typeof schema === "string" ? schema : schema.map(([, text]) => text).join("\n"));
  const byName = new Map(models.map((m) => [m.name, m]));
  const enumNames = new Map(enums.map((e) => [e.name, e.dbName ?? e.name]));
  const tables = new Map<string, TableShape>();
  for (const model of models) {
    tables.set(tableName(model), {
      columns: expectedColumns(model, enumNames, extras.unsupported.get(model.name) ?? new Map()),
      primaryKey: null,
      indexes: [],
      foreignKeys: expectedForeignKeys(model, byName),
    });
  }
  for (const index of indexes) addExpectedIndex(index, byName, tables, extras.predicates);
  return {
    tables,
    enums: new Map(enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)])),
  };
}

function tableName(model: DmmfModel): string {
  return model.dbName ?? model.name;
}

function columnName(model: DmmfModel, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  return field?.dbName ?? fieldName;
}

function expectedColumns(model: DmmfModel, enumNames: Map<string, string>, unsupported: Map<string, Column>): Map<string, Column> {
  const columns = new Map(unsupported);
  for (const field of model.fields) {
    if (field.kind === "object") continue;
    // Prisma creates scalar lists as nullable arrays, whatever the schema says.
    columns.set(field.dbName ?? field.name, { type: expectedType(field, enumNames), nullable: !field.isRequired || field.isList });
  }
  return columns;
}

/** The type as Postgres' format_type() prints it, for a Prisma scalar, native type or enum. */
export function expectedType(field: DmmfField, enumNames: Map<string, string> = new Map()): string {
  const base = field.kind === "enum" ? (enumNames.get(field.type) ?? field.type) : scalarType(field);
  return field.isList ? `${base}[]` : base;
}

function scalarType(field: DmmfField): string {
  const [native, args = []] = field.nativeType ?? [];
  if (native) return nativeType(native, args);
  const defaults: Record<string, string> = {
    String: "text",
    Int: "integer",
    BigInt: "bigint",
    Float: "double precision",
    Decimal: "numeric(65,30)",
    Boolean: "boolean",
    DateTime: "timestamp(3) without time zone",
    Json: "jsonb",
    Bytes: "bytea",
  };
  return defaults[field.type] ?? `unknown Prisma type ${field.type}`;
}

function nativeType(name: string, args: readonly string[]): string {
  const n = (fallback?: string) => (args.length ? `(${args.join(",")})` : fallback ? `(${fallback})` : "");
  const time = (base: string, zone: string) => `${base}${n()} ${zone}`;
  switch (name) {
    case "Text": return "text";
    case "VarChar": return `character varying${n()}`;
    case "Char": return `character${n("1")}`;
    case "Uuid": return "uuid";
    case "Xml": return "xml";
    case "Inet": return "inet";
    case "Citext": return "citext";
    case "Bit": return `bit${n("1")}`;
    case "VarBit": return `bit varying${n()}`;
    case "Boolean": return "boolean";
    case "Integer": return "integer";
    case "SmallInt": return "smallint";
    case "Oid": return "oid";
    case "BigInt": return "bigint";
    case "DoublePrecision": return "double precision";
    case "Real": return "real";
    case "Decimal": return `numeric${n()}`;
    case "Money": return "money";
    case "Timestamp": return time("timestamp", "without time zone");
    case "Timestamptz": return time("timestamp", "with time zone");
    case "Date": return "date";
    case "Time": return time("time", "without time zone");
    case "Timetz": return time("time", "with time zone");
    case "Json": return "json";
    case "JsonB": return "jsonb";
    case "ByteA": return "bytea";
    default: return `unknown native type @db.${name}`;
  }
}

function expectedForeignKeys(model: DmmfModel, models: Map<string, DmmfModel>): ForeignKeyShape[] {
  const keys: ForeignKeyShape[] = [];
  for (const field of model.fields) {
    if (field.kind !== "object" || !field.relationFromFields?.length) continue;
    const target = models.get(field.type);
    if (!target) continue;
    keys.push({
      columns: field.relationFromFields.map((f) => columnName(model, f)),
      refTable: tableName(target),
      refColumns: (field.relationToFields ?? []).map((f) => columnName(target, f)),
      // Prisma's defaults for relational databases.
      onDelete: referentialAction(field.relationOnDelete ?? (field.isRequired ? "Restrict" : "SetNull")),
      onUpdate: referentialAction(field.relationOnUpdate ?? "Cascade"),
    });
  }
  return keys;
}

function referentialAction(prismaAction: string): string {
  const actions: Record<string, string> = {
    Cascade: "CASCADE",
    Restrict: "RESTRICT",
    NoAction: "NO ACTION",
    SetNull: "SET NULL",
    SetDefault: "SET DEFAULT",
  };
  return actions[prismaAction] ?? `unknown action ${prismaAction}`;
}

function addExpectedIndex(
  index: DmmfIndex,
  models: Map<string, DmmfModel>,
  tables: Map<string, TableShape>,
  predicates: Map<string, (string | null)[]>,
): void {
  const model = models.get(index.model);
  const table = model && tables.get(tableName(model));
  if (!model || !table) return;
  const table_ = tableName(model);
  const names = index.fields.map((f) => columnName(model, f.name));
  if (index.type === "id") {
    table.primaryKey = { name: index.dbName ?? defaultName(table_, [], "pkey"), columns: names };
    return;
  }
  if (index.type === "fulltext") return; // MySQL only
  const unique = index.type === "unique";
  const key = predicateKey(index.model, index.type, index.fields.map((f) => f.name), index.dbName);
  const predicate = predicates.get(key)?.shift() ?? null;
  table.indexes.push({
    name: index.dbName ?? defaultName(table_, names, unique ? "key" : "idx"),
    unique,
    method: (index.algorithm ?? "BTree").toLowerCase(),
    columns: index.fields.map((f) =>
      renderIndexColumn({
        column: columnName(model, f.name),
        desc: f.sortOrder === "desc",
        nullsFirst: f.sortOrder === "desc",
        opclass: f.operatorClass ? snakeCase(f.operatorClass) : null,
      }),
    ),
    predicate,
  });
}

// Prisma's default constraint names. Longer ones are shortened by rules we do
// not replicate, so their names go unchecked (the structure still is).
function defaultName(table: string, columns: string[], suffix: string): string | undefined {
  const name = [table, ...columns, suffix].join("_");
  return name.length <= PG_MAX_IDENTIFIER ? name : undefined;
}

function snakeCase(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase() : name;
}

function predicateKey(model: string, type: string, fields: readonly string[], map: string | undefined): string {
  return [model, type, fields.join(","), map ?? ""].join("|");
}

type SchemaTextExtras = {
  /** Partial index predicates by predicateKey, in source order. */
  predicates: Map<string, (string | null)[]>;
  /** Unsupported("…") fields, which getDMMF leaves out entirely. */
  unsupported: Map<string, Map<string, Column>>;
};

// getDMMF drops two things the database has: `where:` on partial indexes and
// Unsupported(...) fields. Both are read from the schema text instead.
function scanSchemaText(text: string): SchemaTextExtras {
  const predicates = new Map<string, (string | null)[]>();
  const unsupported = new Map<string, Map<string, Column>>();
  for (const { name, body } of modelBlocks(text)) {
    const fieldColumns = new Map<string, string>();
    for (const line of body.split("\n")) {
      const field = /^\s*(\w+)\s+(Unsupported\("([^"]*)"\)|\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field) continue;
      const column = /@map\(\s*"([^"]+)"\s*\)/.exec(field[6] ?? "")?.[1] ?? field[1]!;
      fieldColumns.set(field[1]!, column);
      if (field[3] !== undefined) {
        const columns = unsupported.get(name) ?? new Map<string, Column>();
        columns.set(column, { type: `${field[3].toLowerCase()}${field[4] ?? ""}`, nullable: field[5] === "?" || !!field[4] });
        unsupported.set(name, columns);
      }
    }
    for (const match of body.matchAll(/@@(index|unique)\s*\(/g)) {
      const args = balanced(body, match.index + match[0].length - 1, "(", ")");
      const fields = balanced(args, args.indexOf("["), "[", "]");
      const fieldNames = splitTopLevel(fields.slice(1, -1)).map((f) => /^\s*(\w+)/.exec(f)?.[1] ?? f.trim());
      const map = /\bmap\s*:\s*"([^"]+)"/.exec(args)?.[1];
      const key = predicateKey(name, match[1] === "index" ? "normal" : "unique", fieldNames, map);
      const list = predicates.get(key) ?? [];
      list.push(predicateFromArgs(args, fieldColumns));
      predicates.set(key, list);
    }
  }
  return { predicates, unsupported };
}

function predicateFromArgs(args: string, columns: Map<string, string>): string | null {
  const at = /\bwhere\s*:\s*/.exec(args);
  if (!at) return null;
  const rest = args.slice(at.index + at[0].length);
  const raw = /^raw\(\s*("(?:[^"\\]|\\.)*")\s*\)/.exec(rest);
  if (raw) return normalisePredicate(JSON.parse(raw[1]!) as string);
  if (rest.startsWith("{")) return normalisePredicate(objectPredicateSql(balanced(rest, 0, "{", "}"), columns));
  return `unparsed where: ${rest.slice(0, 40)}`;
}

// The object form, e.g. { deletedAt: null, status: { not: "gone" } }, as SQL.
function objectPredicateSql(object: string, columns: Map<string, string>): string {
  return splitTopLevel(object.slice(1, -1))
    .map((entry) => {
      const [, field = "", value = ""] = /^\s*(\w+)\s*:\s*([\s\S]*?)\s*$/.exec(entry) ?? [];
      const column = `"${columns.get(field) ?? field}"`;
      const not = /^\{\s*not\s*:\s*([\s\S]*?)\s*\}$/.exec(value);
      const operand = sqlLiteral(not ? not[1]! : value);
      if (operand === "NULL") return `${column} IS ${not ? "NOT " : ""}NULL`;
      return `${column} ${not ? "<>" : "="} ${operand}`;
    })
    .join(" AND ");
}

function sqlLiteral(value: string): string {
  if (value === "null") return "NULL";
  if (value.startsWith('"')) return `'${(JSON.parse(value) as string).replaceAll("'", "''")}'`;
  return value;
}

function* modelBlocks(text: string): Generator<{ name: string; body: string }> {
  for (const match of text.matchAll(/^\s*model\s+(\w+)\s*\{/gm)) {
    const open = match.index + match[0].length - 1;
    yield { name: match[1]!, body: balanced(text, open, "{", "}") };
  }
}

/** The bracketed text starting at `start` (which holds `open`), skipping string literals. */
function balanced(text: string, start: number, open: string, close: string): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (ch === open) depth++;
    else if (ch === close && --depth === 0) return text.slice(start, i + 1);
  }
  return text.slice(start);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (ch === "," && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.filter((p) => p.trim());
}

// ---------------------------------------------------------------- database side

type ColumnRow = { table: string; column: string; type: string; not_null: boolean };
type IndexColumnRow = { column: string | null; expression: string | null; desc: boolean; nulls_first: boolean; opclass: string | null; default_opclass: boolean | null; include: boolean };
type IndexRow = { table: string; name: string; unique: boolean; primary: boolean; method: string; predicate: string | null; columns: IndexColumnRow[] };
type ForeignKeyRow = { table: string; ref_table: string; columns: string[]; ref_columns: string[]; on_delete: string; on_update: string };

export async function databaseShape(client: pg.Client): Promise<SchemaShape> {
  const columns = await client.query<ColumnRow>(COLUMNS_SQL);
  const indexes = await client.query<IndexRow>(INDEXES_SQL);
  const foreignKeys = await client.query<ForeignKeyRow>(FOREIGN_KEYS_SQL);
  const enums = await client.query<{ name: string; values: string[] }>(ENUMS_SQL);
  const tables = new Map<string, TableShape>();
  const table = (name: string) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = { columns: new Map(), primaryKey: null, indexes: [], foreignKeys: [] }));
    return t;
  };
  for (const row of columns.rows) {
    if (IGNORED_TABLES.has(row.table)) continue;
    table(row.table).columns.set(row.column, { type: row.type.replaceAll('"', ""), nullable: !row.not_null });
  }
  for (const row of indexes.rows) {
    if (IGNORED_TABLES.has(row.table)) continue;
    const keyColumns = row.columns.filter((c) => !c.include);
    if (row.primary) {
      table(row.table).primaryKey = { name: row.name, columns: keyColumns.map((c) => c.column ?? `(${c.expression})`) };
      continue;
    }
    const rendered = keyColumns.map((c) =>
      renderIndexColumn({
        column: c.column,
        expression: c.expression,
        desc: c.desc,
        nullsFirst: c.nulls_first,
        opclass: c.default_opclass === false ? c.opclass : null,
      }),
    );
    const included = row.columns.filter((c) => c.include).map((c) => `INCLUDE "${c.column}"`);
    table(row.table).indexes.push({
      name: row.name,
      unique: row.unique,
      method: row.method,
      columns: [...rendered, ...included],
      predicate: row.predicate === null ? null : normalisePredicate(row.predicate),
    });
  }
  for (const row of foreignKeys.rows) {
    if (IGNORED_TABLES.has(row.table)) continue;
    table(row.table).foreignKeys.push({
      columns: row.columns,
      refTable: row.ref_table,
      refColumns: row.ref_columns,
      onDelete: PG_ACTIONS[row.on_delete] ?? row.on_delete,
      onUpdate: PG_ACTIONS[row.on_update] ?? row.on_update,
    });
  }
  return { tables, enums: new Map(enums.rows.map((e) => [e.name, e.values])) };
}

const PG_ACTIONS: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

const COLUMNS_SQL = `
  SELECT c.relname AS "table", a.attname AS "column",
         format_type(a.atttypid, a.atttypmod) AS "type", a.attnotnull AS not_null
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped`;

const INDEXES_SQL = `
  SELECT t.relname AS "table", i.relname AS name, ix.indisunique AS "unique", ix.indisprimary AS "primary",
         am.amname AS method, pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
         (SELECT json_agg(json_build_object(
                   'column', a.attname,
                   'expression', CASE WHEN ix.indkey[k.i] = 0 THEN pg_get_indexdef(ix.indexrelid, k.i + 1, true) END,
                   'desc', COALESCE((ix.indoption[k.i] & 1) = 1, false),
                   'nulls_first', COALESCE((ix.indoption[k.i] & 2) = 2, false),
                   'opclass', opc.opcname,
                   'default_opclass', opc.opcdefault,
                   'include', k.i >= ix.indnkeyatts) ORDER BY k.i)
            FROM generate_series(0, ix.indnatts - 1) AS k(i)
            LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.i] AND ix.indkey[k.i] <> 0
            LEFT JOIN pg_opclass opc ON opc.oid = ix.indclass[k.i] AND k.i < ix.indnkeyatts) AS columns
    FROM pg_index ix
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
   WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND NOT t.relispartition`;

const FOREIGN_KEYS_SQL = `
  SELECT t.relname AS "table", rt.relname AS ref_table,
         ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
         ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
         con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class rt ON rt.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE con.contype = 'f' AND con.conparentid = 0 AND n.nspname = current_schema() AND NOT t.relispartition`;

const ENUMS_SQL = `
  SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS "values"
    FROM pg_type t
    JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = current_schema()
   GROUP BY t.typname`;

// ---------------------------------------------------------------- shared rendering

function renderIndexColumn(c: { column: string | null; expression?: string | null; desc: boolean; nullsFirst: boolean; opclass: string | null }): string {
  let out = c.column === null ? `(${c.expression})` : `"${c.column}"`;
  if (c.opclass) out += ` ${c.opclass}`;
  if (c.desc) out += " DESC";
  // Postgres' default is NULLS LAST ascending and NULLS FIRST descending; Prisma cannot say otherwise.
  if (c.nullsFirst !== c.desc) out += c.nullsFirst ? " NULLS FIRST" : " NULLS LAST";
  return out;
}

const CAST =
  /::(?:character varying|double precision|(?:timestamp|time)(?:\(\d+\))? with(?:out)? time zone|"?\w+"?(?:\(\d+(?:,\d+)?\))?)(?:\[\])?/gi;

/**
 * Loose form of a WHERE clause so that the schema's text and Postgres' rewrite
 * of it compare equal: no quotes, casts, parentheses or case. Anything that
 * still differs is reported.
 */
export function normalisePredicate(sql: string): string {
  return sql
    .replace(CAST, "")
    .replace(/[()"]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/** Normalises types that differ only in spelling: timestamp(6) is plain timestamp. */
function normaliseType(type: string): string {
  return type.replace(/^(timestamp|time)\(6\)/, "$1");
}

// ---------------------------------------------------------------- comparison

export function compareShapes(expected: SchemaShape, actual: SchemaShape): string[] {
  const out: string[] = [];
  compareEnums(expected.enums, actual.enums, out);
  for (const [name, table] of expected.tables) {
    const found = actual.tables.get(name);
    if (!found) out.push(`table "${name}": missing in database`);
    else compareTable(name, table, found, out);
  }
  for (const name of actual.tables.keys()) {
    if (!expected.tables.has(name)) out.push(`table "${name}": in database but not in schema`);
  }
  return out;
}

function compareEnums(expected: Map<string, string[]>, actual: Map<string, string[]>, out: string[]): void {
  for (const [name, values] of expected) {
    const found = actual.get(name);
    if (!found) {
      out.push(`enum "${name}": missing in database`);
      continue;
    }
    // Order is not compared: Prisma appends new values with ADD VALUE, so a
    // value inserted mid-list in the schema lands last in the database.
    for (const v of values) if (!found.includes(v)) out.push(`enum "${name}": value "${v}" missing in database`);
    for (const v of found) if (!values.includes(v)) out.push(`enum "${name}": value "${v}" in database but not in schema`);
  }
  for (const name of actual.keys()) if (!expected.has(name)) out.push(`enum "${name}": in database but not in schema`);
}

function compareTable(name: string, expected: TableShape, actual: TableShape, out: string[]): void {
  compareColumns(name, expected.columns, actual.columns, out);
  comparePrimaryKey(name, expected.primaryKey, actual.primaryKey, out);
  compareIndexes(name, expected.indexes, actual.indexes, out);
  compareForeignKeys(name, expected.foreignKeys, actual.foreignKeys, out);
}

function compareColumns(table: string, expected: Map<string, Column>, actual: Map<string, Column>, out: string[]): void {
  for (const [name, column] of expected) {
    const label = `column "${table}"."${name}"`;
    const found = actual.get(name);
    if (!found) {
      out.push(`${label}: missing in database`);
      continue;
    }
    if (normaliseType(found.type) !== normaliseType(column.type)) {
      out.push(`${label}: type is ${found.type} in database, schema expects ${column.type}`);
    }
    if (found.nullable !== column.nullable) {
      out.push(`${label}: ${found.nullable ? "nullable" : "NOT NULL"} in database, schema expects ${column.nullable ? "nullable" : "NOT NULL"}`);
    }
  }
  for (const name of actual.keys()) {
    if (!expected.has(name)) out.push(`column "${table}"."${name}": in database but not in schema`);
  }
}

function comparePrimaryKey(table: string, expected: TableShape["primaryKey"], actual: TableShape["primaryKey"], out: string[]): void {
  const render = (pk: NonNullable<TableShape["primaryKey"]>) => `(${pk.columns.map((c) => `"${c}"`).join(", ")})`;
  if (!expected && !actual) return;
  if (!expected || !actual) {
    out.push(`primary key of "${table}": ${actual ? `${render(actual)} in database but not in schema` : `${render(expected!)} missing in database`}`);
    return;
  }
  if (render(expected) !== render(actual)) {
    out.push(`primary key of "${table}": database has ${render(actual)}, schema expects ${render(expected)}`);
  }
  if (expected.name && expected.name !== actual.name) {
    out.push(`primary key of "${table}": named "${actual.name}" in database, schema expects "${expected.name}"`);
  }
}

function indexDefinition(index: IndexShape): string {
  const using = index.method === "btree" ? "" : `USING ${index.method} `;
  const where = index.predicate ? ` WHERE ${index.predicate}` : "";
  return `${index.unique ? "UNIQUE " : ""}${using}(${index.columns.join(", ")})${where}`;
}

function describeIndex(table: string, index: IndexShape): string {
  return `index${index.name ? ` "${index.name}"` : ""} on "${table}" ${indexDefinition(index)}`;
}

function compareIndexes(table: string, expected: IndexShape[], actual: IndexShape[], out: string[]): void {
  const missing: IndexShape[] = [];
  const extra = [...actual];
  for (const index of expected) {
    const at = extra.findIndex((a) => indexDefinition(a) === indexDefinition(index));
    if (at < 0) {
      missing.push(index);
      continue;
    }
    const [found] = extra.splice(at, 1);
    if (index.name && found!.name !== index.name) {
      out.push(`${describeIndex(table, { ...index, name: undefined })}: named "${found!.name}" in database, schema expects "${index.name}"`);
    }
  }
  for (const index of missing) {
    // Same name, different definition: one message instead of missing + extra.
    const at = index.name ? extra.findIndex((a) => a.name === index.name) : -1;
    if (at >= 0) {
      const [found] = extra.splice(at, 1);
      out.push(`index "${index.name}" on "${table}": database has ${indexDefinition(found!)}, schema expects ${indexDefinition(index)}`);
    } else {
      out.push(`${describeIndex(table, index)}: missing in database`);
    }
  }
  for (const index of extra) out.push(`${describeIndex(table, index)}: in database but not in schema`);
}

function compareForeignKeys(table: string, expected: ForeignKeyShape[], actual: ForeignKeyShape[], out: string[]): void {
  const key = (fk: ForeignKeyShape) => `"${table}"(${fk.columns.join(", ")}) -> "${fk.refTable}"(${fk.refColumns.join(", ")})`;
  const remaining = [...actual];
  for (const fk of expected) {
    const at = remaining.findIndex((a) => key(a) === key(fk));
    if (at < 0) {
      out.push(`foreign key ${key(fk)}: missing in database`);
      continue;
    }
    const [found] = remaining.splice(at, 1);
    if (found!.onDelete !== fk.onDelete) out.push(`foreign key ${key(fk)}: ON DELETE is ${found!.onDelete} in database, schema expects ${fk.onDelete}`);
    if (found!.onUpdate !== fk.onUpdate) out.push(`foreign key ${key(fk)}: ON UPDATE is ${found!.onUpdate} in database, schema expects ${fk.onUpdate}`);
  }
  for (const fk of remaining) out.push(`foreign key ${key(fk)}: in database but not in schema`);
}
