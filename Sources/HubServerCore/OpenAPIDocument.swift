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
        "description": "Monitoring and admin API of the Automation Hub (SPEC §8.3). Every operation but /api/health needs Basic Auth (HUB_DASHBOARD_USERNAME/HUB_DASHBOARD_PASSWORD), an X-API-Key header (HUB_API_KEYS) or a dashboard session token. Errors are {\"error\":{\"code\",\"message\",\"details\"}}."
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
        "/api/dashboard": {
          "get": {
            "summary": "Render queue per template and composition, job queue, workers, sync sources, alerts (SPEC §7.5)",
            "parameters": [{"name": "window_hours", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 168, "default": 24}}],
            "responses": {
              "200": {"description": "snapshot", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dashboard"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "429": {"$ref": "#/components/responses/Throttled"}
            }
          }
        },
        "/metrics": {
          "get": {
            "summary": "Prometheus metrics: queue depth, renders by status, dispatch latency histogram, live feed counters",
            "responses": {
              "200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}
            }
          }
        },
        "/api/openapi.json": {
          "get": {
            "summary": "This document",
            "responses": {
              "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}
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
              "401": {"$ref": "#/components/responses/Unauthorized"}
            }
          },
          "post": {
            "summary": "Submit a render job (committed with its outbox row, then signalled to the workers)",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RenderRequest"}}}},
            "responses": {
              "201": {"description": "submitted", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "status", "published", "instruction"], "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "published": {"type": "boolean"}, "instruction": {"$ref": "#/components/schemas/Instruction"}}}}}},
              "400": {"$ref": "#/components/responses/Invalid"},
              "401": {"$ref": "#/components/responses/Unauthorized"}
            }
          }
        },
        "/api/v1/render/{id}/status": {
          "get": {
            "summary": "One render instruction with its timeline",
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "responses": {
              "200": {"description": "the instruction", "content": {"application/json": {"schema": {"type": "object", "properties": {"instruction": {"$ref": "#/components/schemas/Instruction"}, "timeline": {"type": "array", "items": {"type": "object"}}}}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"},
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
              "401": {"$ref": "#/components/responses/Unauthorized"},
              "404": {"$ref": "#/components/responses/NotFound"}
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
              "401": {"$ref": "#/components/responses/Unauthorized"}
            }
          }
        },
        "/": {
          "get": {
            "summary": "The dashboard page (HTML)",
            "responses": {
              "200": {"description": "page", "content": {"text/html": {"schema": {"type": "string"}}}},
              "401": {"$ref": "#/components/responses/Unauthorized"}
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
          "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
        },
        "responses": {
          "Unauthorized": {"description": "no or wrong credentials", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Throttled": {"description": "too many failed sign-ins from this address (Retry-After)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Invalid": {"description": "malformed request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "NotFound": {"description": "no such thing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}}
          },
          "Health": {
            "type": "object", "required": ["status", "blocks", "dependencies"],
            "properties": {"status": {"type": "string", "enum": ["healthy", "unhealthy"]}, "blocks": {"type": "object"}, "dependencies": {"type": "object"}, "components": {"type": "array"}, "checked_at": {"type": "string"}, "version": {"type": "string"}}
          },
          "Dashboard": {
            "type": "object", "required": ["generated_at", "window_hours", "totals", "render_queue", "job_queue", "workers", "sync", "alerts"],
            "properties": {
              "generated_at": {"type": "string"}, "window_hours": {"type": "integer"}, "totals": {"type": "object"},
              "render_queue": {"type": "array", "items": {"type": "object", "properties": {"template": {"type": "string"}, "composition": {"type": "string"}, "pending": {"type": "integer"}, "rendering": {"type": "integer"}, "stale": {"type": "integer"}, "completed": {"type": "integer"}, "failed": {"type": "integer"}, "cancelled": {"type": "integer"}, "average_duration_seconds": {"type": ["number", "null"]}, "average_queue_seconds": {"type": ["number", "null"]}, "oldest_pending_seconds": {"type": ["number", "null"]}}}},
              "job_queue": {"type": "array", "items": {"type": "object"}}, "workers": {"type": "array", "items": {"type": "object"}},
              "sync": {"type": "array", "items": {"type": "object"}}, "alerts": {"type": "array", "items": {"type": "object"}}
            }
          },
          "RenderRequest": {
            "type": "object", "required": ["template"],
            "properties": {"template": {"type": "string"}, "composition": {"type": "string", "default": "Main"}, "data": {"type": "object"}, "output": {"type": "object", "properties": {"format": {"type": "string", "enum": ["mp4", "mov", "png"]}, "width": {"type": "integer"}, "height": {"type": "integer"}, "fps": {"type": "integer"}, "codec": {"type": "string"}, "frameStart": {"type": "integer"}, "frameEnd": {"type": "integer"}}}, "priority": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5}, "max_retries": {"type": "integer", "default": 3}, "trigger": {"type": "string", "enum": ["cue_item", "premium_hand", "manual", "api"], "default": "api"}, "trigger_id": {"type": "string"}, "cue_item_id": {"type": "integer"}}
          },
          "Instruction": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "template": {"type": "string"}, "composition": {"type": "string"}, "data": {"type": "object"}, "output": {"type": "object"}, "status": {"type": "string"}, "priority": {"type": "integer"}, "trigger": {"type": "string"}, "retry_count": {"type": "integer"}, "max_retries": {"type": "integer"}, "attempt": {"type": "integer"}, "error_message": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]}, "completed_at": {"type": ["string", "null"]}, "worker_id": {"type": ["string", "null"]}, "progress_frame": {"type": ["integer", "null"]}, "progress_total": {"type": ["integer", "null"]}}
          }
        }
      }
    }
    """#
}
