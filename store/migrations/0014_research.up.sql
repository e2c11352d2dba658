-- Web search (issue 14). The user's provider choice gains 'default' (the
-- admin's default provider, now every account's starting value) and
-- 'tavily'; 'duckduckgo' goes (it has no API, only scraping). SQLite cannot
-- change a column's CHECK in place, so the column is replaced: a new one
-- with the new rule, the old values carried over, the old one dropped and
-- the new one renamed. Web search never worked before this migration, so
-- the old 'none' (the old default, chosen by nobody in particular) and
-- 'duckduckgo' become 'default'.
ALTER TABLE users ADD COLUMN web_search_provider_v2 TEXT NOT NULL DEFAULT 'default'
    CHECK (web_search_provider_v2 IN ('default', 'none', 'searxng', 'brave', 'tavily'));
UPDATE users SET web_search_provider_v2 = CASE web_search_provider
    WHEN 'brave' THEN 'brave' WHEN 'searxng' THEN 'searxng' ELSE 'default' END;
ALTER TABLE users DROP COLUMN web_search_provider;
ALTER TABLE users RENAME COLUMN web_search_provider_v2 TO web_search_provider;
