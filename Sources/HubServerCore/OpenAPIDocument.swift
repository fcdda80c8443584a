/// The OpenAPI 3.1 description of hub-server, served at `/api/openapi.json`.
///
/// Written by hand next to the routes; `OpenAPITests` fails when a route is registered that it
/// does not describe, or it describes one that is not registered.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Automation Hub — hub-server",
        "version": "0.1.0",
        "description": "Monitoring and admin API of the Automation Hub (SPEC §8.3). Every operation but /api/health needs Basic Auth (HUB_DASHBOARD_USERNAME/HUB_DASHBOARD_PASSWORD), an X-API-Key header (HUB_API_KEYS) or a dashboard session token; a request that changes something must send its body as application/json and, from a browser, come from this server's own origin. Errors are {\"error\":{\"code\",\"message\",\"details\"}}."
      },
      "security": [{"basic": []}, {"apiKey": []}, {"session": []}],
      "paths": {
        "/api/health": {
          "get": {
            "summary": "Health of hub-server and its dependencies (seed 002 §8.1 shape)",
            "security": [],
            "responses": {
              "200": {"description": "healthy", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
              "503": {"description": "a dependency is down", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
            }
          }
        },
        "/api/v1/health/details": {
          "get": {
            "summary": "The health check with each dependency's address (passwords redacted), version or error text and latency, and hub-server's version",
            "responses": {
              "200": {"description": "healthy", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthDetails"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "503": {"description": "a dependency is down", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthDetails"}}}}
            }
          }
        },
        "/api/dashboard": {
          "get": {
            "summary": "Render queue per template and composition, job queue, workers, sync sources, alerts (SPEC §7.5)",
            "parameters": [{"name": "window_hours", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 168, "default": 24}}],
            "responses": {
              "200": {"description": "snapshot", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dashboard"}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/metrics": {
          "get": {
            "summary": "Prometheus metrics: queue depth, renders by status, dispatch latency histogram, live feed counters",
            "responses": {
              "200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/api/openapi.json": {
          "get": {
            "summary": "This document",
            "responses": {
              "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/api/v1/render": {
          "get": {
            "summary": "Render instructions, newest first",
            "parameters": [
              {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "processing", "completed", "failed", "stale", "cancelled"]}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}
            ],
            "responses": {
              "200": {"description": "instructions", "content": {"application/json": {"schema": {"type": "object", "properties": {"instructions": {"type": "array", "items": {"$ref": "#/components/schemas/Instruction"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          },
          "post": {
            "summary": "Submit a render job (committed with its outbox row, then signalled to the workers). With an idempotency key (the Idempotency-Key header or idempotency_key in the body) a repeated submission answers 200 with the instruction the first one created; the same key with a different request answers 409",
            "parameters": [
              {"name": "Idempotency-Key", "in": "header", "required": false, "description": "1-255 bytes, no control characters; the same as idempotency_key in the body (both given: they must agree)", "schema": {"type": "string", "minLength": 1, "maxLength": 255}}
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RenderRequest"}}}},
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "201": {"description": "submitted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubmitResponse"}}}},
              "200": {"description": "replayed: the idempotency key names an instruction submitted before with the same request; nothing new was submitted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubmitResponse"}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "409": {"$ref": "#/components/responses/Conflict"},
              "422": {"$ref": "#/components/responses/Refused"}
            }
          }
        },
        "/api/v1/render/{id}/status": {
          "get": {
            "summary": "One render instruction with its timeline",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "responses": {
              "200": {"description": "the instruction", "content": {"application/json": {"schema": {"type": "object", "properties": {"instruction": {"$ref": "#/components/schemas/Instruction"}, "timeline": {"type": "array", "items": {"type": "object"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"}
            }
          }
        },
        "/api/v1/render/{id}/output": {
          "get": {
            "summary": "The output of a render instruction (the completed attempt) and every attempt's output row",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "responses": {
              "200": {"description": "outputs", "content": {"application/json": {"schema": {"type": "object", "properties": {"instruction_id": {"type": "integer"}, "status": {"type": "string"}, "output": {"type": ["object", "null"]}, "attempts": {"type": "array", "items": {"type": "object"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"}
            }
          }
        },
        "/api/v1/render/{id}/output/file": {
          "get": {
            "summary": "The file of the completed output (a PNG still or an MP4/MOV clip), streamed; only a regular file inside the server's output directory (HUB_OUTPUT_DIR, symbolic links and .. resolved) is served",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "responses": {
              "200": {"description": "the output file", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}, "video/mp4": {"schema": {"type": "string", "format": "binary"}}, "video/quicktime": {"schema": {"type": "string", "format": "binary"}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"}
            }
          }
        },
        "/api/actions/retry": {
          "post": {
            "summary": "Put a failed, cancelled or stale instruction back to pending with fresh retries (a pending one waiting for its backoff becomes due now)",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionRequest"}}}},
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "200": {"description": "retried", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InstructionResponse"}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Conflict"}
            }
          }
        },
        "/api/actions/bulk-retry": {
          "post": {
            "summary": "Retry every instruction matching the filter (default: all failed); dry_run lists the matches and changes nothing",
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BulkRetryRequest"}}}},
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "200": {"description": "matched and (unless dry_run) retried", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BulkRetryResult"}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/api/actions/change-priority": {
          "post": {
            "summary": "Change the priority of an unfinished instruction: 1 (highest) … 10 (lowest)",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["id", "priority"], "properties": {"id": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}, "priority": {"type": "integer", "minimum": 1, "maximum": 10}, "reason": {"type": "string"}}}}}},
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "200": {"description": "changed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InstructionResponse"}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Conflict"}
            }
          }
        },
        "/api/actions/cancel": {
          "post": {
            "summary": "Cancel an instruction: a pending one at once, a running one on its worker at its next heartbeat",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionRequest"}}}},
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "200": {"description": "cancelled (or stopping)", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "previous_status", "stopping", "instruction"], "properties": {"id": {"type": "integer"}, "previous_status": {"type": "string"}, "stopping": {"type": "boolean"}, "instruction": {"$ref": "#/components/schemas/Instruction"}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Conflict"}
            }
          }
        },
        "/api/events": {
          "get": {
            "summary": "Monitor events (anomalies, silent services), most recently seen first",
            "parameters": [
              {"name": "unresolved", "in": "query", "schema": {"type": "boolean", "default": false}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}}
            ],
            "responses": {
              "200": {"description": "events", "content": {"application/json": {"schema": {"type": "object", "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/MonitorEvent"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/api/events/{id}/resolve": {
          "post": {
            "summary": "Resolve a monitor event (if its condition still holds, the next monitor pass opens a new one)",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "200": {"description": "resolved", "content": {"application/json": {"schema": {"type": "object", "properties": {"event": {"$ref": "#/components/schemas/MonitorEvent"}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "409": {"$ref": "#/components/responses/Conflict"}
            }
          }
        },
        "/api/v1/events": {
          "get": {
            "summary": "Imported WSOP+ events, latest start first, with players counted and remaining",
            "parameters": [
              {"name": "status", "in": "query", "schema": {"type": "string"}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}}
            ],
            "responses": {
              "200": {"description": "events", "content": {"application/json": {"schema": {"type": "object", "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/WSOPEvent"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/api/v1/events/{id}": {
          "get": {
            "summary": "One WSOP+ event (database id or export key such as WSOP-2026-E76) with each player's latest chip count",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {
              "200": {"description": "the event", "content": {"application/json": {"schema": {"type": "object", "required": ["event", "players"], "properties": {"event": {"$ref": "#/components/schemas/WSOPEvent"}, "players": {"type": "array", "items": {"type": "object", "properties": {"player_id": {"type": "integer"}, "player_key": {"type": "string"}, "name": {"type": "string"}, "country": {"type": ["string", "null"]}, "chips": {"type": "integer"}, "eliminated": {"type": "boolean"}, "table": {"type": ["string", "null"]}, "seat": {"type": ["integer", "null"]}, "recorded_at": {"type": "string"}}}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "404": {"$ref": "#/components/responses/NotFound"}
            }
          }
        },
        "/api/v1/events/{id}/players": {
          "get": {"summary": "The players of a WSOP+ event as the latest chip counts left them, most chips first, the eliminated last", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "database id or export key such as WSOP-2026-E76"}, {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "eliminated"]}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}}], "responses": {"200": {"description": "the event and its players", "content": {"application/json": {"schema": {"type": "object", "required": ["event", "players"], "properties": {"event": {"$ref": "#/components/schemas/WSOPEvent"}, "players": {"type": "array", "items": {"type": "object", "properties": {"ref": {"type": "string"}, "player_id": {"type": "integer"}, "player_key": {"type": "string"}, "name": {"type": "string"}, "country": {"type": ["string", "null"]}, "status": {"type": "string", "enum": ["active", "eliminated"]}, "chips": {"type": ["integer", "null"]}, "table": {"type": ["string", "null"]}, "seat": {"type": ["integer", "null"]}, "eliminated_at": {"type": ["string", "null"]}, "as_of": {"type": ["string", "null"]}}}}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/events/{id}/standings": {
          "get": {"summary": "The current standings of a WSOP+ event: its latest imported standings snapshot, by rank", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "database id or export key such as WSOP-2026-E76"}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}}], "responses": {"200": {"description": "the standings (snapshot_at null and an empty list when none is imported)", "content": {"application/json": {"schema": {"type": "object", "required": ["event", "standings"], "properties": {"event": {"$ref": "#/components/schemas/WSOPEvent"}, "snapshot_at": {"type": ["string", "null"]}, "standings": {"type": "array", "items": {"type": "object", "properties": {"rank": {"type": "integer"}, "ref": {"type": "string"}, "player_id": {"type": "integer"}, "player_key": {"type": "string"}, "name": {"type": "string"}, "country": {"type": ["string", "null"]}, "chips": {"type": ["integer", "null"]}, "prize": {"type": ["integer", "null"]}}}}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/notifications": {
          "get": {"summary": "Notifications, newest first (schema doc §8.2); unread=true leaves out the ones marked read", "parameters": [{"name": "unread", "in": "query", "schema": {"type": "boolean", "default": false}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}], "responses": {"200": {"description": "notifications", "content": {"application/json": {"schema": {"type": "object", "required": ["notifications"], "properties": {"notifications": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}}}
        },
        "/api/v1/notifications/{id}/read": {
          "post": {"summary": "Mark a notification read; publishes notification_read on the notifications channel (once: marking it again answers it unchanged)", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "200": {"description": "the notification", "content": {"application/json": {"schema": {"type": "object", "required": ["notification"], "properties": {"notification": {"$ref": "#/components/schemas/Notification"}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}},
          "patch": {"summary": "Mark a notification read (the same as POST)", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "200": {"description": "the notification", "content": {"application/json": {"schema": {"type": "object", "required": ["notification"], "properties": {"notification": {"$ref": "#/components/schemas/Notification"}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/players": {
          "get": {"summary": "Unified players by name (SPEC §5 merge priority; *_source says where each field came from)", "parameters": [{"name": "search", "in": "query", "schema": {"type": "string"}, "description": "part of a name; case, spacing and accents ignored"}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}}},
          "post": {"summary": "Create a manual player (schema doc §9): a person no source has exported yet; every value given is a manual value, and the activity log records new_player", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200}, "name_korean": {"type": "string", "minLength": 1, "maxLength": 200}, "country_code": {"type": "string", "pattern": "^[A-Z]{2,3}$"}, "bio": {"type": "string", "minLength": 1, "maxLength": 4000}, "notable_wins": {"type": "string", "minLength": 1, "maxLength": 4000}, "profile_image": {"type": "string", "description": "a PNG or JPEG file inside the media roots (HUB_MEDIA_ROOTS)"}, "reason": {"type": "string"}, "wsop_player_key": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", "description": "the WSOP+ player id when known (P-1234); a later WSOP+ export fills in its values underneath"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "the new player", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Player"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "409": {"$ref": "#/components/responses/Conflict"}, "422": {"$ref": "#/components/responses/Refused"}}}
        },
        "/api/v1/players/search": {
          "get": {"summary": "Search players by name, Korean name or WSOP+ id (case-insensitive; accents and spacing ignored for source names); exact names first", "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1}, "description": "part of a name"}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}], "responses": {"200": {"description": "the players found", "content": {"application/json": {"schema": {"type": "object", "required": ["players"], "properties": {"players": {"type": "array", "items": {"$ref": "#/components/schemas/Player"}}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}}}
        },
        "/api/v1/players/{ref}": {
          "get": {"summary": "One player with every source's value and every override", "parameters": [{"name": "ref", "in": "path", "required": true, "schema": {"type": "string"}, "description": "wsop:ID, gfx:ID, a WSOP+ player id (P-1001) or a name that matches one player"}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}},
          "patch": {"summary": "Update a player by hand: each text field given becomes a manual value from now on, profile_image replaces the registered photo (one activity log entry)", "parameters": [{"name": "ref", "in": "path", "required": true, "schema": {"type": "string"}, "description": "wsop:ID, gfx:ID, a WSOP+ player id (P-1001) or a name that matches one player"}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "minProperties": 1, "additionalProperties": false, "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200}, "name_korean": {"type": "string", "minLength": 1, "maxLength": 200}, "country_code": {"type": "string", "pattern": "^[A-Z]{2,3}$"}, "bio": {"type": "string", "minLength": 1, "maxLength": 4000}, "notable_wins": {"type": "string", "minLength": 1, "maxLength": 4000}, "profile_image": {"type": "string", "description": "a PNG or JPEG file inside the media roots (HUB_MEDIA_ROOTS)"}, "reason": {"type": "string"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "200": {"description": "the player as it is now", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Player"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Refused"}}}
        },
        "/api/v1/players/{ref}/overrides": {
          "post": {"summary": "Override a field (name, name_korean, country_code, bio, notable_wins) for a window", "parameters": [{"name": "ref", "in": "path", "required": true, "schema": {"type": "string"}, "description": "wsop:ID, gfx:ID, a WSOP+ player id (P-1001) or a name that matches one player"}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["field", "value"], "properties": {"field": {"type": "string", "enum": ["name", "name_korean", "country_code", "bio", "notable_wins"]}, "value": {"type": "string"}, "valid_from": {"type": "string", "format": "date-time"}, "valid_until": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/hands": {
          "get": {"summary": "Hands imported from the feature tables, newest first, with players, cards, actions and grade; pages by next_cursor", "parameters": [{"name": "game", "in": "query", "schema": {"type": "integer"}, "description": "the PokerGFX GameID"}, {"name": "table", "in": "query", "schema": {"type": "string"}}, {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"}}, {"name": "before", "in": "query", "schema": {"type": "string", "format": "date-time"}}, {"name": "premium", "in": "query", "schema": {"type": "boolean"}}, {"name": "broadcast_worthy", "in": "query", "schema": {"type": "boolean"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}, {"name": "cursor", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "a page of hands", "content": {"application/json": {"schema": {"type": "object", "required": ["hands"], "properties": {"hands": {"type": "array", "items": {"type": "object"}}, "next_cursor": {"type": "string"}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}}}
        },
        "/api/v1/hands/{id}": {
          "get": {"summary": "One hand with its players, cards, actions and grade", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/sessions": {
          "get": {"summary": "Broadcast sessions, newest first", "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}}},
          "post": {"summary": "Create a broadcast session (optionally for a WSOP+ event)", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}, "event": {"type": "string", "description": "WSOP+ event id of the exports"}, "table": {"type": "string"}, "scheduled_at": {"type": "string", "format": "date-time"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/sessions/{id}": {
          "get": {"summary": "One session with its cue sheets", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/sessions/{id}/sheets": {
          "get": {"summary": "The cue sheets of a session, in creation order", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "the sheets", "content": {"application/json": {"schema": {"type": "object", "required": ["sheets"], "properties": {"sheets": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "session_id": {"type": "integer"}, "name": {"type": "string"}, "status": {"type": "string", "enum": ["draft", "ready", "live", "done"]}, "created_at": {"type": "string"}}}}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}},
          "post": {"summary": "Add a cue sheet to a session", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/sheets/{id}/items": {
          "get": {"summary": "The cues of a sheet in order, with state and instruction", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}},
          "post": {"summary": "Add a cue from a template", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["template"], "properties": {"template": {"type": "string", "minLength": 1}, "number": {"type": "integer", "minimum": 1, "maximum": 2147483647}, "title": {"type": "string"}, "data": {"type": "object", "description": "top, players, player, subtitle, fields, rows (by cue type)"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/items/{id}": {
          "get": {"summary": "One cue item", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/items/{id}/status": {
          "patch": {"summary": "Set a cue item's status by hand (pending re-arms it, completed marks it played, cancelled skips it); publishes cue_item_updated on the session's channel", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["pending", "completed", "cancelled"]}, "reason": {"type": "string"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "200": {"description": "the item", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/items/{id}/trigger": {
          "post": {"summary": "Trigger a cue: snapshot its data, bind it to the composition and queue the render (the item then follows the instruction)", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "400": {"$ref": "#/components/responses/Invalid"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}, "422": {"$ref": "#/components/responses/Refused"}}}
        },
        "/api/v1/graphics": {
          "get": {"summary": "The graphics catalog: project, units, flags and every composition with its category, slots and fields (derivation, required, default)", "responses": {"200": {"description": "the catalog", "content": {"application/json": {"schema": {"type": "object", "required": ["project", "compositions"], "properties": {"project": {"type": "string"}, "compositions": {"type": "array", "items": {"type": "object"}}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/v1/graphics/sheet": {
          "get": {"summary": "Contact sheet: every composition of one moment drawn by the preview backend, as one PNG", "parameters": [{"name": "game", "in": "query", "required": true, "schema": {"type": "integer"}, "description": "the PokerGFX session id (GameID= of the export's file name)"}, {"name": "hand", "in": "query", "schema": {"type": "integer"}, "description": "the hand number (default: the latest hand)"}, {"name": "player", "in": "query", "schema": {"type": "string"}, "description": "the player graphics' player: a name or seat:N (default: the chip leader)"}], "responses": {"200": {"description": "the sheet", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}, "503": {"description": "ffmpeg is missing or failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
        },
        "/api/v1/graphics/{composition}/data": {
          "get": {"summary": "The gfx_data v3 document of a catalog composition for a moment (a PokerGFX session and hand)", "parameters": [{"name": "composition", "in": "path", "required": true, "schema": {"type": "string"}, "description": "the catalog's composition name, percent-encoded (_MAIN%20Mini%20Chip%20Count)"}, {"name": "game", "in": "query", "required": true, "schema": {"type": "integer"}, "description": "the PokerGFX session id (GameID= of the export's file name)"}, {"name": "hand", "in": "query", "schema": {"type": "integer"}, "description": "the hand number (default: the latest hand)"}, {"name": "player", "in": "query", "schema": {"type": "string"}, "description": "a name or seat:N"}, {"name": "start_rank", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}}], "responses": {"200": {"description": "the v3 document", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GFXData"}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Refused"}}}
        },
        "/api/v1/graphics/{composition}/render": {
          "post": {"summary": "Queue a render instruction carrying the composition's v3 document for a moment (template: the catalog's AE project)", "parameters": [{"name": "composition", "in": "path", "required": true, "schema": {"type": "string"}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["game"], "properties": {"game": {"type": "integer"}, "hand": {"type": "integer"}, "player": {"type": "string"}, "start_rank": {"type": "integer", "minimum": 1, "maximum": 100000}, "priority": {"type": "integer", "minimum": 1, "maximum": 10}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "queued", "content": {"application/json": {"schema": {"type": "object", "required": ["instruction_id", "published", "template", "document"], "properties": {"instruction_id": {"type": "integer"}, "published": {"type": "boolean"}, "template": {"type": "string"}, "document": {"$ref": "#/components/schemas/GFXData"}}}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}, "422": {"$ref": "#/components/responses/Refused"}}}
        },
        "/api/v1/sessions/{id}/rules": {
          "get": {"summary": "A session's automatic-graphics rules and the events they fired for, newest first", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "required": ["rules", "firings"], "properties": {"rules": {"type": "array", "items": {"type": "object"}}, "firings": {"type": "array", "items": {"type": "object"}}}}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}}},
          "post": {"summary": "Add a rule: on a game event at a table, queue a composition for that moment (each event fires once)", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["table", "on", "composition"], "properties": {"table": {"type": "string"}, "on": {"type": "string", "description": "elimination, premium_hand, level_change, chip_leader or every:N"}, "composition": {"type": "string"}, "priority": {"type": "integer", "minimum": 1, "maximum": 10}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "the rule", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/sessions/{id}/staff": {
          "get": {"summary": "A session's commentators and reporters (the Commentator and Reporter graphics)", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "required": ["staff"], "properties": {"staff": {"type": "array", "items": {"type": "object"}}}}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}}},
          "post": {"summary": "Add a commentator or reporter", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["role", "name"], "properties": {"role": {"type": "string", "enum": ["commentator", "reporter"]}, "name": {"type": "string", "minLength": 1}, "social_handle": {"type": "string"}, "display_order": {"type": "integer", "minimum": -2147483648, "maximum": 2147483647}}}}}}, "responses": {"403": {"$ref": "#/components/responses/ForbiddenOrigin"}, "415": {"$ref": "#/components/responses/NotJSON"}, "201": {"description": "the entry", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}, "404": {"$ref": "#/components/responses/NotFound"}, "409": {"$ref": "#/components/responses/Conflict"}}}
        },
        "/api/v1/sync/status": {
          "get": {
            "summary": "Sync state per source and entity, whether the server has the source's folders, and each source's last run",
            "responses": {
              "200": {"description": "sources", "content": {"application/json": {"schema": {"type": "object", "properties": {"sources": {"type": "array", "items": {"type": "object", "properties": {"source": {"type": "string"}, "name": {"type": "string"}, "configured": {"type": "boolean"}, "entities": {"type": "array", "items": {"type": "object"}}, "last_run": {"oneOf": [{"$ref": "#/components/schemas/SyncRun"}, {"type": "null"}]}}}}}}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/api/v1/sync/{source}/trigger": {
          "post": {
            "summary": "Run a sync of gfx, wsop or all (both, then linking and grading) on the server's configured folders; answers when the run is over",
            "parameters": [{"$ref": "#/components/parameters/source"}],
            "responses": {
              "403": {"$ref": "#/components/responses/ForbiddenOrigin"},
              "415": {"$ref": "#/components/responses/NotJSON"},
              "200": {"description": "the run happened (completed or failed: see succeeded and sources)", "content": {"application/json": {"schema": {"type": "object", "required": ["correlation_id", "succeeded", "sources"], "properties": {"correlation_id": {"type": "string"}, "succeeded": {"type": "boolean"}, "sources": {"type": "array", "items": {"type": "object"}}, "hands_graded": {"type": "integer"}, "premium_hands": {"type": "integer"}, "players_linked": {"type": "integer"}, "render_instructions": {"type": "array", "items": {"type": "integer"}}, "phase_errors": {"type": "array", "items": {"type": "string"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"},
              "409": {"$ref": "#/components/responses/Conflict"}
            }
          }
        },
        "/api/v1/sync/{source}/history": {
          "get": {
            "summary": "The latest sync runs of gfx, wsop or all, newest first, with counts and skipped files",
            "parameters": [
              {"$ref": "#/components/parameters/source"},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20}}
            ],
            "responses": {
              "200": {"description": "runs", "content": {"application/json": {"schema": {"type": "object", "properties": {"source": {"type": "string"}, "runs": {"type": "array", "items": {"$ref": "#/components/schemas/SyncRun"}}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/ws/dashboard": {
          "get": {
            "summary": "WebSocket live feed of hub events; ?channels=a,b chooses channels (default all), ?token= carries a dashboard session token",
            "parameters": [
              {"name": "channels", "in": "query", "schema": {"type": "string"}},
              {"name": "token", "in": "query", "schema": {"type": "string"}}
            ],
            "responses": {
              "101": {"description": "upgraded; messages are {channel, type, data, timestamp, source, correlation_id}"},
              "400": {"$ref": "#/components/responses/Invalid"},
              "426": {"description": "UPGRADE_REQUIRED: a plain GET, not a WebSocket upgrade", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/": {
          "get": {
            "summary": "The dashboard page (HTML)",
            "responses": {
              "200": {"description": "page", "content": {"text/html": {"schema": {"type": "string"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}, "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "basic": {"type": "http", "scheme": "basic"},
          "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
          "session": {"type": "http", "scheme": "bearer", "description": "token embedded in the dashboard page"}
        },
        "parameters": {
          "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}},
          "source": {"name": "source", "in": "path", "required": true, "schema": {"type": "string", "enum": ["gfx", "wsop", "all"]}}
        },
        "responses": {
          "Unauthorized": {"description": "no or wrong credentials", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Throttled": {"description": "wrong credentials from an address that failed too often (Retry-After); a correct credential is always accepted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "ForbiddenOrigin": {"description": "FORBIDDEN_ORIGIN: a browser request from another site (Origin not this server's, or Sec-Fetch-Site cross-site/same-site)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "NotJSON": {"description": "UNSUPPORTED_MEDIA_TYPE: a request body that is not Content-Type application/json", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Invalid": {"description": "malformed request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "NotFound": {"description": "no such thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Conflict": {"description": "the thing is in a state that does not allow the action (CONFLICT; the message says why and what to do)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Refused": {"description": "refused as it stands (REFUSED): the moment cannot fill the graphic — a required field has no value (the message names the composition, the field and the source) — or the data refers to media outside the media roots or allowed URL prefixes (the message names the field, the reference and what is allowed)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "GFXData": {
            "type": "object", "required": ["$schema", "version", "comp_name", "render_type", "category", "slots", "single_fields", "metadata"],
            "description": "gfx_data v3 (Docs/graphics.md): every value written for broadcast",
            "properties": {
              "$schema": {"type": "string", "const": "render_gfx_data_v3"}, "version": {"type": "string"}, "comp_name": {"type": "string"},
              "render_type": {"type": "string"}, "category": {"type": "string"},
              "slots": {"type": "array", "items": {"type": "object", "required": ["slot_index", "fields"], "properties": {"slot_index": {"type": "integer"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
              "single_fields": {"type": "object", "additionalProperties": {"type": "string"}},
              "chip_comparison": {"type": "object"}, "chip_flow": {"type": "object"}, "player_history": {"type": "object"},
              "at_risk": {"type": "object"}, "elimination": {"type": "object"}, "payouts": {"type": "object"},
              "metadata": {"type": "object", "required": ["data_sources", "generated_at", "schema_version", "warnings"]}
            }
          },
          "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}}
          },
          "Health": {
            "type": "object", "required": ["status", "blocks", "dependencies"],
            "description": "Public: status and up/down per dependency only (no address, version, error text or latency).",
            "properties": {"status": {"type": "string", "enum": ["healthy", "unhealthy"]}, "blocks": {"type": "object", "additionalProperties": {"type": "string"}}, "dependencies": {"type": "object", "additionalProperties": {"type": "string", "enum": ["connected", "disconnected"]}}, "components": {"type": "array", "items": {"type": "object", "required": ["name", "status"], "additionalProperties": false, "properties": {"name": {"type": "string"}, "status": {"type": "string", "enum": ["ok", "error"]}}}}, "checked_at": {"type": "string"}}
          },
          "HealthDetails": {
            "type": "object", "required": ["status", "blocks", "dependencies", "components", "checked_at", "version"],
            "properties": {"status": {"type": "string", "enum": ["healthy", "unhealthy"]}, "blocks": {"type": "object", "additionalProperties": {"type": "string"}}, "dependencies": {"type": "object", "additionalProperties": {"type": "string"}}, "components": {"type": "array", "items": {"type": "object", "required": ["name", "status", "address", "detail"], "properties": {"name": {"type": "string"}, "status": {"type": "string", "enum": ["ok", "error"]}, "address": {"type": "string"}, "detail": {"type": "string"}, "latency_ms": {"type": ["number", "null"]}}}}, "checked_at": {"type": "string"}, "version": {"type": "string"}}
          },
          "Dashboard": {
            "type": "object", "required": ["generated_at", "window_hours", "totals", "render_queue", "job_queue", "workers", "sync", "alerts", "open_alerts"],
            "properties": {
              "generated_at": {"type": "string"}, "window_hours": {"type": "integer"}, "totals": {"type": "object"},
              "render_queue": {"type": "array", "items": {"type": "object", "properties": {"template": {"type": "string"}, "composition": {"type": "string"}, "pending": {"type": "integer"}, "rendering": {"type": "integer"}, "stale": {"type": "integer"}, "completed": {"type": "integer"}, "failed": {"type": "integer"}, "cancelled": {"type": "integer"}, "average_duration_seconds": {"type": ["number", "null"]}, "average_queue_seconds": {"type": ["number", "null"]}, "oldest_pending_seconds": {"type": ["number", "null"]}}}},
              "job_queue": {"type": "array", "items": {"type": "object"}}, "workers": {"type": "array", "items": {"type": "object"}},
              "sync": {"type": "array", "items": {"type": "object", "properties": {"source": {"type": "string", "enum": ["gfx", "wsop"]}, "status": {"type": "string", "enum": ["failed", "in_progress", "outdated", "pending", "synced"]}, "entities": {"type": "object", "additionalProperties": {"type": "string"}}, "last_sync": {"type": ["string", "null"]}, "next_sync": {"type": ["string", "null"]}, "due": {"type": "boolean"}, "runs": {"type": "integer"}, "failed_runs": {"type": "integer"}, "health_percent": {"type": ["number", "null"]}, "last_error": {"type": ["string", "null"]}}}},
              "alerts": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "level": {"type": "string", "enum": ["info", "warning", "error", "critical"]}, "rule": {"type": "string"}, "subject": {"type": "string"}, "message": {"type": "string"}, "first_seen": {"type": "string"}, "last_seen": {"type": "string"}, "occurrences": {"type": "integer"}}}},
              "open_alerts": {"type": "integer"}
            }
          },
          "RenderRequest": {
            "type": "object", "required": ["template"],
            "properties": {"template": {"type": "string", "minLength": 1}, "composition": {"type": "string", "minLength": 1, "default": "Main"}, "data": {"type": "object"}, "output": {"type": "object", "properties": {"format": {"type": "string", "enum": ["mp4", "mov", "png"]}, "width": {"type": "integer"}, "height": {"type": "integer"}, "fps": {"type": "integer"}, "codec": {"type": "string"}, "frame_start": {"type": "integer"}, "frame_end": {"type": "integer"}, "frameStart": {"type": "integer", "deprecated": true}, "frameEnd": {"type": "integer", "deprecated": true}}}, "priority": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5}, "max_retries": {"type": "integer", "default": 3}, "trigger": {"type": "string", "enum": ["cue_item", "premium_hand", "manual", "api"], "default": "api"}, "trigger_id": {"type": "string"}, "cue_item_id": {"type": "integer"}, "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255, "description": "the same as the Idempotency-Key header"}, "scheduled_at": {"type": "string", "format": "date-time", "description": "start no earlier than this time (RFC 3339 with a zone); omitted or past: at once"}, "no_cache": {"type": "boolean", "default": false, "description": "render anew even when the render cache holds the same render"}, "requires": {"type": "array", "maxItems": 32, "items": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}, "description": "tags a worker must have to render it (besides its composition's); only workers started with all of them (hub-worker --tags) claim it"}}
          },
          "SubmitResponse": {
            "type": "object", "required": ["id", "status", "published", "replayed", "instruction"],
            "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "published": {"type": "boolean"}, "replayed": {"type": "boolean", "description": "true: the idempotency key named an existing instruction (HTTP 200)"}, "instruction": {"$ref": "#/components/schemas/Instruction"}}
          },
          "ActionRequest": {
            "type": "object", "required": ["id"],
            "properties": {"id": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}, "reason": {"type": "string"}}
          },
          "InstructionResponse": {
            "type": "object", "required": ["instruction"], "properties": {"instruction": {"$ref": "#/components/schemas/Instruction"}}
          },
          "BulkRetryRequest": {
            "type": "object",
            "properties": {"status": {"oneOf": [{"type": "string", "enum": ["failed", "cancelled", "stale"]}, {"type": "array", "items": {"type": "string", "enum": ["failed", "cancelled", "stale"]}}], "default": "failed"}, "template": {"type": "string"}, "since": {"oneOf": [{"type": "string", "description": "90s, 30m, 2h, 1d"}, {"type": "number", "description": "seconds"}]}, "error": {"type": "string", "description": "error message contains (case-insensitive)"}, "dry_run": {"type": "boolean", "default": false}, "reason": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1000}}
          },
          "BulkRetryResult": {
            "type": "object", "required": ["dry_run", "count", "matched", "retried"],
            "properties": {"dry_run": {"type": "boolean"}, "count": {"type": "integer"}, "matched": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "template": {"type": "string"}, "error_message": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]}}}}, "retried": {"type": "array", "items": {"type": "integer"}}}
          },
          "MonitorEvent": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "rule": {"type": "string"}, "subject": {"type": "string"}, "level": {"type": "string", "enum": ["info", "warning", "error", "critical"]}, "message": {"type": "string"}, "details": {"type": "object"}, "first_seen": {"type": "string"}, "last_seen": {"type": "string"}, "occurrences": {"type": "integer"}, "resolved": {"type": "boolean"}, "resolved_at": {"type": ["string", "null"]}, "resolved_by": {"type": ["string", "null"]}, "resolution": {"type": ["string", "null"]}}
          },
          "Player": {
            "type": "object", "required": ["ref", "name", "hands_played", "sources"],
            "description": "A unified player (SPEC §5): sources names where each field came from (manual, wsop, gfx)",
            "properties": {"ref": {"type": "string"}, "wsop_player_id": {"type": ["integer", "null"]}, "gfx_player_id": {"type": ["integer", "null"]}, "wsop_player_key": {"type": ["string", "null"]}, "link_method": {"type": ["string", "null"]}, "name": {"type": "string"}, "name_korean": {"type": ["string", "null"]}, "country_code": {"type": ["string", "null"]}, "profile_image": {"type": ["string", "null"]}, "bio": {"type": ["string", "null"]}, "notable_wins": {"type": ["string", "null"]}, "chip_count": {"type": ["integer", "null"]}, "chip_count_at": {"type": ["string", "null"]}, "hands_played": {"type": "integer"}, "last_hand_at": {"type": ["string", "null"]}, "sources": {"type": "object", "additionalProperties": {"type": "string", "enum": ["manual", "wsop", "gfx"]}}}
          },
          "Notification": {
            "type": "object", "required": ["id", "created_at", "rule", "level", "title", "message", "data", "webhook_status", "webhook_attempts"],
            "properties": {"id": {"type": "integer"}, "created_at": {"type": "string"}, "rule": {"type": "string"}, "level": {"type": "string", "enum": ["info", "warning", "error", "critical"]}, "title": {"type": "string"}, "message": {"type": "string"}, "data": {"type": "object"}, "webhook_status": {"type": "string", "enum": ["none", "pending", "delivered", "failed"]}, "webhook_attempts": {"type": "integer"}, "webhook_error": {"type": ["string", "null"]}, "read_at": {"type": ["string", "null"]}}
          },
          "WSOPEvent": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "event_key": {"type": "string"}, "name": {"type": "string"}, "buy_in": {"type": ["integer", "null"]}, "start_date": {"type": ["string", "null"]}, "venue": {"type": ["string", "null"]}, "status": {"type": ["string", "null"]}, "entries": {"type": ["integer", "null"]}, "prize_pool": {"type": ["integer", "null"]}, "players": {"type": "integer"}, "remaining": {"type": "integer"}, "last_chip_count_at": {"type": ["string", "null"]}, "updated_at": {"type": "string"}}
          },
          "SyncRun": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "correlation_id": {"type": "string"}, "source": {"type": "string"}, "status": {"type": "string", "enum": ["running", "completed", "failed", "skipped"]}, "started_at": {"type": "string"}, "duration_ms": {"type": ["integer", "null"]}, "counts": {"type": "object"}, "error": {"type": ["string", "null"]}}
          },
          "Instruction": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "template": {"type": "string"}, "composition": {"type": "string"}, "data": {"type": "object"}, "output": {"type": "object"}, "status": {"type": "string"}, "priority": {"type": "integer"}, "trigger": {"type": "string"}, "retry_count": {"type": "integer"}, "max_retries": {"type": "integer"}, "attempt": {"type": "integer"}, "error_message": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]}, "completed_at": {"type": ["string", "null"]}, "worker_id": {"type": ["string", "null"]}, "progress_frame": {"type": ["integer", "null"]}, "progress_total": {"type": ["integer", "null"]}, "idempotency_key": {"type": ["string", "null"]}, "scheduled_at": {"type": "string", "description": "when it is (or was) due"}, "requires": {"type": "array", "items": {"type": "string"}, "description": "tags its worker must have, lower case"}}
          }
        }
      }
    }
    """#
}
