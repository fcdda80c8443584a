DROP TABLE render_timeline;
DROP TABLE render_outbox;
DROP TABLE render_outputs;
DROP TABLE render_instructions;
