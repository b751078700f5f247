type Header = { key: string; value: string };
export declare const baseHeaders: Header[];
export declare const apiHeaders: Header[];
export declare const httpsHeaders: Header[];
