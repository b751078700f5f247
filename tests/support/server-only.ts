// Stands in for the `server-only` guard outside Next (tests and scripts).
export {};
