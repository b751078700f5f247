-- A budget for a whole workspace (lib/quota, issue 19): subject = the workspace id.
-- On its own: a value added to an enum cannot be used in the transaction that adds it.
ALTER TYPE "QuotaScope" ADD VALUE 'workspace';
