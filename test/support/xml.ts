// Parses XML with a real parser (Python's ElementTree) into plain objects, so tests check documents, not strings.
import { execFileSync } from 'node:child_process';

export interface XmlElement {
  /** Local name, namespace stripped. */
  tag: string;
  /** Namespace URI, '' when none. */
  ns: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

const SCRIPT = `
import sys, json, xml.etree.ElementTree as ET
def conv(e):
    ns, tag = ('', e.tag)
    if e.tag.startswith('{'):
        ns, tag = e.tag[1:].split('}', 1)
    attrs = {}
    for k, v in e.attrib.items():
        attrs[k.split('}', 1)[1] if k.startswith('{') else k] = v
    return {'tag': tag, 'ns': ns, 'attrs': attrs, 'text': (e.text or '').strip(), 'children': [conv(c) for c in e]}
print(json.dumps(conv(ET.fromstring(sys.stdin.buffer.read()))))
`;

/** Throws when the document is not well-formed XML. */
export function parseXml(xml: string): XmlElement {
  return JSON.parse(execFileSync('python3', ['-c', SCRIPT], { input: xml, maxBuffer: 64 * 1024 * 1024 }).toString()) as XmlElement;
}

export function child(element: XmlElement, tag: string): XmlElement | undefined {
  return element.children.find((c) => c.tag === tag);
}

export function children(element: XmlElement, tag: string): XmlElement[] {
  return element.children.filter((c) => c.tag === tag);
}

/** Follows a path of local names, first match at each step. */
export function path(element: XmlElement, ...tags: string[]): XmlElement | undefined {
  let current: XmlElement | undefined = element;
  for (const tag of tags) current = current && child(current, tag);
  return current;
}
