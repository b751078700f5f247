export declare const SCHEMA_DIR: string;
export declare const CLIENT_DIR: string;
export declare function schemaDigest(schemaDir?: string): string;
export declare function prismaClientIsCurrent(schemaDir?: string, clientDir?: string): boolean;
export declare function stampPrismaClient(schemaDir?: string, clientDir?: string): void;
