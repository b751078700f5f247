// Node flags for the production server process: `npm start`, the container
// image and the gateway benchmark all run `next start` with these, so the
// benchmark measures what users run.
//
// A larger young generation. Every streamed chunk allocates short-lived
// objects (the parsed upstream event, the re-serialised frame, stream
// bookkeeping); with V8's default 16 MB semi-space, 1,000 open streams
// allocate fast enough that many of them survive two scavenges, are promoted,
// and the old generation grows by about half a megabyte per open stream.
// `npm run bench:gateway -- --only=memory`: 561 MB extra RSS for 1,000
// concurrent streams with the default, 126 MB with 64 MB.
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=64"];
