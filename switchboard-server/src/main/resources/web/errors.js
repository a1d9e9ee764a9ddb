// What an error means to a person: a refusal's code (docs/PROTOCOL.md section 6), or a download's
// HTTP status. Upload codes are mapped only for uploads: unknown_type from a request of another type
// does not mean that the server takes no files.

const ERROR_TEXT = {
  not_group_member: 'You are not a member of that group.',
  group_not_found: 'There is no group with that id.',
  group_exists: 'A group with that id already exists.',
  group_full: 'That group is full.',
  payload_too_large: 'That message is too long.',
  file_not_found: 'The file is gone from the server (an unfinished upload expires).',
  file_incomplete: 'The file has not been uploaded completely.',
};

/** Texts for the codes an upload may end with, which mean something else for other requests. */
const UPLOAD_ERROR_TEXT = {
  file_too_large: 'That file is larger than this server takes.',
  upload_limit: 'Too many unfinished uploads. A cancelled one frees its place; abandoned ones expire after a while.',
  unknown_type: 'This server does not take files.',
};

/** Texts for the HTTP statuses a download may end with. */
const DOWNLOAD_ERROR_TEXT = {
  401: 'The server refused your token: sign in again.',
  404: 'The server has no such file for you.',
};

/** Any request's or send's error: the text for its code, else its message. */
export function describeError(error) {
  if (!error) return 'Something went wrong.';
  return ERROR_TEXT[error.code] ?? (error.message || String(error));
}

/** An upload's error: upload codes first; a server that takes no files says so in its own words. */
export function describeUploadError(error) {
  if (error?.code === 'file_too_large' && /accepts no files/.test(error.message ?? '')) return serverText(error);
  return UPLOAD_ERROR_TEXT[error?.code] ?? describeError(error);
}

/** A download's error: the text for its HTTP status, else as any other error. */
export function describeDownloadError(error) {
  return DOWNLOAD_ERROR_TEXT[error?.httpStatus] ?? describeError(error);
}

/** What the server said after the error code, as a sentence ("file_too_large: the …" → "The …."). */
function serverText(error) {
  const prefix = `${error.code}: `;
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;
}
