// JSON values one after another, as grpcurl's -d reads them: `{…} {…}` or one per
// line, each given out as soon as it is complete (a bidi stream's messages go out as
// they are typed). A top-level array is one value; its caller decides what it means.

/** Something in the input that is not a JSON object or array; `index` is the 0-based number of the value. */
export class JsonStreamError extends Error {
  override name = 'JsonStreamError';
}

/** Each complete top-level JSON object or array in `chunks`, parsed. */
export async function* jsonValues(chunks: AsyncIterable<string | Buffer> | Iterable<string>): AsyncGenerator<unknown> {
  let text = '';
  let start = -1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let count = 0;
  for await (const chunk of chunks) {
    let i = text.length;
    text += chunk.toString();
    for (; i < text.length; i += 1) {
      const c = text[i] as string;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (depth === 0) {
        if (/\s/.test(c)) continue;
        if (c !== '{' && c !== '[') throw new JsonStreamError(`value ${count + 1}: expected a JSON object or array, found "${text.slice(i, i + 20)}"`);
        start = i;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) {
          count += 1;
          const value = text.slice(start, i + 1);
          text = text.slice(i + 1);
          i = -1;
          try {
            yield JSON.parse(value);
          } catch (error) {
            throw new JsonStreamError(`value ${count}: not JSON: ${(error as Error).message}`);
          }
        }
      }
    }
  }
  if (depth > 0 || inString) throw new JsonStreamError(`value ${count + 1}: the input ends inside it`);
}
