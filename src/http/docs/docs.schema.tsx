/** Renders the JSON Schemas of an OpenAPI 3.1 document as nested, readable HTML lists. */
import type { Child } from "hono/jsx";

/** The subset of JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) the reference shows. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
}

/** Named schemas of the document (`components.schemas`), for resolving `$ref`. */
export type SchemaIndex = Record<string, JsonSchema>;

const REF_PREFIX = "#/components/schemas/";

export const schemaAnchor = (name: string) => `schema-${name}`;

function refName(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

const types = (s: JsonSchema): string[] => (s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type]);

/** `[X, null]` unions are shown as a nullable X rather than as a two-way choice. */
function splitNullable(variants: JsonSchema[]): { nonNull: JsonSchema[]; nullable: boolean } {
  const nonNull = variants.filter((v) => !(types(v).length === 1 && types(v)[0] === "null"));
  return { nonNull, nullable: nonNull.length < variants.length };
}

const literal = (v: unknown) => JSON.stringify(v);

/** A one-line type label such as `string | null`, `Address[]` or `"auto" | "grab"`. */
function typeLabel(s: JsonSchema): string {
  if (s.$ref) return refName(s.$ref);
  if (s.const !== undefined) return literal(s.const);
  if (s.enum) return s.enum.map(literal).join(" | ");
  const union = s.anyOf ?? s.oneOf;
  if (union) {
    const { nonNull, nullable } = splitNullable(union);
    const label = nonNull.length === 1 ? typeLabel(nonNull[0]!) : "one of";
    return nullable ? `${label} | null` : label;
  }
  if (s.allOf) return s.allOf.length === 1 ? typeLabel(s.allOf[0]!) : "all of";
  const ts = types(s);
  const named = ts.map((t) => {
    if (t === "array") {
      if (!s.items) return "array";
      const item = typeLabel(s.items);
      return item.includes(" ") ? `(${item})[]` : `${item}[]`;
    }
    if (t === "string" && s.format) return `string (${s.format})`;
    return t;
  });
  if (named.length === 0) return s.properties ? "object" : "any";
  return named.join(" | ");
}

/** Constraints worth reading next to a field: ranges, lengths, patterns, defaults, examples. */
function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  const range = (min: number | undefined, max: number | undefined, unit: string) => {
    if (min !== undefined && max !== undefined) out.push(`${min} to ${max}${unit}`);
    else if (min !== undefined) out.push(`≥ ${min}${unit}`);
    else if (max !== undefined) out.push(`≤ ${max}${unit}`);
  };
  range(s.minimum, s.maximum, "");
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  range(s.minLength, s.maxLength, " chars");
  range(s.minItems, s.maxItems, " items");
  if (s.pattern) out.push(`pattern /${s.pattern}/`);
  if (s.default !== undefined) out.push(`default ${literal(s.default)}`);
  const example = s.example ?? s.examples?.[0];
  if (example !== undefined && (typeof example !== "object" || example === null)) out.push(`e.g. ${literal(example)}`);
  return out;
}

/** Inline `code` spans of OpenAPI descriptions (CommonMark's most used feature here). */
export function Prose({ text }: { text: string | undefined }) {
  if (!text) return null;
  const parts = text.split(/(`[^`]+`)/g).filter(Boolean);
  return <>{parts.map((p) => (p.startsWith("`") && p.endsWith("`") && p.length > 2 ? <code>{p.slice(1, -1)}</code> : p))}</>;
}

interface SchemaProps {
  schema: JsonSchema;
  schemas: SchemaIndex;
  /** Names of the referenced schemas being expanded above this one: a cycle is shown as a link. */
  seen?: readonly string[];
}

/** The schema's structure: properties of objects, items of arrays, variants of unions (recursive). */
export function SchemaTree({ schema, schemas, seen = [] }: SchemaProps): Child {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    const target = schemas[name];
    if (!target || seen.includes(name)) return null;
    return <SchemaTree schema={target} schemas={schemas} seen={[...seen, name]} />;
  }
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const { nonNull } = splitNullable(union);
    if (nonNull.length === 1) return <SchemaTree schema={nonNull[0]!} schemas={schemas} seen={seen} />;
    return (
      <ol class="variants">
        {nonNull.map((v) => (
          <li>
            <SchemaLine schema={v} />
            <SchemaTree schema={v} schemas={schemas} seen={seen} />
          </li>
        ))}
      </ol>
    );
  }
  if (schema.allOf) {
    return (
      <>
        {schema.allOf.map((part) => (
          <SchemaTree schema={part} schemas={schemas} seen={seen} />
        ))}
      </>
    );
  }
  if (schema.items && types(schema).includes("array")) return <SchemaTree schema={schema.items} schemas={schemas} seen={seen} />;
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    const extra = schema.additionalProperties;
    return (
      <ul class="props">
        {Object.entries(schema.properties).map(([name, prop]) => (
          <li>
            <code class="name">{name}</code> <SchemaLine schema={prop} />
            {required.has(name) ? <span class="req">required</span> : <span class="opt">optional</span>}
            {prop.description ? (
              <div class="desc">
                <Prose text={prop.description} />
              </div>
            ) : null}
            <SchemaTree schema={prop} schemas={schemas} seen={seen} />
          </li>
        ))}
        {extra === false ? <li class="note">No other fields are accepted.</li> : null}
        {typeof extra === "object" ? (
          <li class="note">
            Any other key maps to <SchemaLine schema={extra} />
          </li>
        ) : null}
      </ul>
    );
  }
  if (typeof schema.additionalProperties === "object") {
    return (
      <ul class="props">
        <li class="note">
          Map: string keys to <SchemaLine schema={schema.additionalProperties} />
          <SchemaTree schema={schema.additionalProperties} schemas={schemas} seen={seen} />
        </li>
      </ul>
    );
  }
  return null;
}

/** The type label (a link for named schemas) followed by the constraints. */
export function SchemaLine({ schema }: { schema: JsonSchema }) {
  const label = typeLabel(schema);
  const facts = constraints(schema);
  return (
    <>
      <span class="type">{schema.$ref ? <a href={`#${schemaAnchor(refName(schema.$ref))}`}>{label}</a> : label}</span>
      {facts.length > 0 ? <span class="facts"> {facts.join(" · ")}</span> : null}{" "}
    </>
  );
}
