/**
 * Just enough XML for the service's answers (Error, Project, Table, Instance): elements
 * found by name, their text with entities and CDATA decoded, and attributes. The answers
 * are flat, machine-written documents; a general parser would be a dependency for nothing.
 */

/** One element: its attributes and its raw inner XML. */
export interface XmlElement {
    attributes: Record<string, string>;
    inner: string;
}

function escapeName(name: string): string {
    return name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every `<name …>…</name>` (or `<name/>`) directly or deeply inside `xml`, in order; same-name nesting is not supported. */
export function xmlElements(xml: string, name: string): XmlElement[] {
    const n = escapeName(name);
    const re = new RegExp(`<${n}((?:\\s[^>]*?)?)(?:/>|>([\\s\\S]*?)</${n}\\s*>)`, "g");
    const out: XmlElement[] = [];
    for (const m of xml.replace(/<!--[\s\S]*?-->/g, "").matchAll(re)) {
        out.push({ attributes: attributesOf(m[1] ?? ""), inner: m[2] ?? "" });
    }
    return out;
}

export function xmlElement(xml: string, name: string): XmlElement | undefined {
    return xmlElements(xml, name)[0];
}

/** The decoded text of the first element named `name`, or undefined when there is none. */
export function xmlText(xml: string, name: string): string | undefined {
    const e = xmlElement(xml, name);
    return e === undefined ? undefined : decodeText(e.inner);
}

/** Inner XML to text: CDATA sections verbatim, entities elsewhere decoded, tags dropped. */
export function decodeText(inner: string): string {
    let out = "";
    const re = /<!\[CDATA\[([\s\S]*?)\]\]>/g;
    let last = 0;
    for (const m of inner.matchAll(re)) {
        out += decodeEntities(inner.slice(last, m.index).replace(/<[^>]*>/g, ""));
        out += m[1];
        last = (m.index ?? 0) + m[0].length;
    }
    return out + decodeEntities(inner.slice(last).replace(/<[^>]*>/g, ""));
}

const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'" };

function decodeEntities(s: string): string {
    return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, e: string) => {
        if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
        if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
        return named[e] ?? whole;
    });
}

function attributesOf(s: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of s.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1]] = decodeEntities(m[3] ?? m[4] ?? "");
    return out;
}

/** Text for an element's content: &, < and > escaped. */
export function escapeXml(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A CDATA section holding `s` exactly, split where `s` itself contains "]]>". */
export function cdata(s: string): string {
    return `<![CDATA[${s.split("]]>").join("]]]]><![CDATA[>")}]]>`;
}
