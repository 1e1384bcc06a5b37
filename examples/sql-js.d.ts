/** Minimal types for the part of sql.js the examples use (the package ships no TypeScript types). */
declare module 'sql.js' {
  export interface Statement {
    run(params?: unknown[]): void;
    free(): void;
  }
  export interface QueryResult {
    columns: string[];
    values: unknown[][];
  }
  export interface Database {
    run(sql: string, params?: unknown[]): Database;
    exec(sql: string, params?: unknown[]): QueryResult[];
    prepare(sql: string): Statement;
    export(): Uint8Array;
    close(): void;
  }
  export interface SqlJsStatic {
    Database: new (data?: Uint8Array) => Database;
  }
  export default function initSqlJs(config?: { locateFile?: (file: string) => string }): Promise<SqlJsStatic>;
}
