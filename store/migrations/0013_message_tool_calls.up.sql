-- The tools a chat reply used (app/chat tools: list, create and update
-- tasks, ...): a JSON array of calls, each with its arguments as run, what
-- the user decided when the call needed confirmation, and the result the
-- model was given. NULL when the reply was not offered tools, [] when it
-- was and called none. The rows stay the conversation's (cascade).
ALTER TABLE messages ADD COLUMN tool_calls TEXT;
