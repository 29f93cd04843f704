/** Upload formats checked by their first bytes: a declared Content-Type must match the body. */

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

const SIGNATURES: Record<string, (b: Uint8Array) => boolean> = {
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/png": (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v),
  "image/webp": (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP",
  "application/pdf": (b) => ascii(b, 0, 5) === "%PDF-",
  // ISO base media (MP4): a box of type `ftyp` first.
  "video/mp4": (b) => b.byteLength >= 12 && ascii(b, 4, 8) === "ftyp",
  // Matroska/WebM: the EBML magic.
  "video/webm": (b) => [0x1a, 0x45, 0xdf, 0xa3].every((v, i) => b[i] === v),
};

/** The media type a Content-Type header names when it is one of `accepted`, else null. */
export function mediaType(contentType: string | undefined, accepted: readonly string[]): string | null {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return accepted.includes(type) && type in SIGNATURES ? type : null;
}

/** True when the bytes start like `type` says. */
export function bytesMatch(type: string, bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && (SIGNATURES[type]?.(bytes) ?? false);
}
