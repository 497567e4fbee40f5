/** Where a termchat server listens and keeps its data unless told otherwise: the server's and the client's CLIs both take these. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7878;
export const DEFAULT_DATA_DIR = './termchat-data';
