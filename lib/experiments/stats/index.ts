// Statistics for experiment results. Pure functions of sufficient statistics
// (n, Σx, Σx²): no I/O, no server-only imports, so the console can run the
// sample-size calculator in the browser with the exact code the server uses.
export * from "./summary";
export * from "./special";
export * from "./tests";
export * from "./intervals";
export * from "./srm";
export * from "./sequential";
export * from "./bayes";
export * from "./sample-size";
export * from "./compare";
export { createRng, type Rng } from "./random";
