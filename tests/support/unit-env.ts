// Vitest setupFiles for the unit project. Unit tests run lib code that reads
// lib/config (a quota default, the bcrypt cost), and config() refuses an
// environment without its three required variables. Placeholders complete it;
// no unit test opens a database, so the URL is never dialled.
process.env.DATABASE_URL ??= "postgresql://unit-tests.invalid/unused";
process.env.AUTH_SECRET ??= "unit-tests-auth-secret-000000000000";
process.env.ENCRYPTION_KEY ??= "00".repeat(32);
