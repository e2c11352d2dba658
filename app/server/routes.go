package server

import (
	"github.com/gofiber/fiber/v2"
)

// routes is the map of the API: every endpoint is registered here, in one
// place, so any handler is one jump away.
func (s *Server) routes(r *fiber.App) {
	r.Use(s.recoverMiddleware, s.requestIDMiddleware, s.accessLog, s.securityHeaders)
	r.Use(s.bodyGate) // bodylimit.go: bodies are limited before anything reads them

	r.Use(s.redirectHTTPS)
	r.All("/.well-known/acme-challenge/*", s.acmeChallenge)
	r.Get("/health", s.healthGET)
	s.apiRoutes(r)
	s.davRoutes(r)                        // handler_dav.go: CalDAV on /dav, Basic auth with app passwords
	r.All("/native/*", s.nativeElsewhere) // mtls.go: /native is the mTLS listener's
	r.All("/*", s.ui.handler)
}

// apiRoutes registers /api/* on r: the main app and the mutual-TLS
// listener (mtls.go) serve the same API.
func (s *Server) apiRoutes(r fiber.Router) {
	api := r.Group("/api", s.corsMiddleware())
	v1 := api.Group("/v1")
	v1.Get("/health", s.healthGET)

	// --- accounts and sessions (auth) ---
	// Every state-changing /api request below needs an allowed Origin and
	// the double-submitted CSRF token (Bearer-authenticated clients skip
	// the token). Handlers: handler_auth_*.go, handler_profile*.go,
	// handler_devices.go, handler_security_events.go, handler_admin_users.go.
	api.Use(s.csrfGuard)
	v1.Get("/openapi.json", s.openAPIGET)
	v1.Get("/auth/csrf-token", s.csrfTokenGET)
	v1.Post("/auth/register", bodyLimit(64<<10), s.registerPOST)
	v1.Post("/auth/jwt/login", bodyLimit(64<<10), s.loginPOST)
	v1.Post("/auth/login", bodyLimit(64<<10), s.loginPOST) // compatibility alias
	v1.Post("/auth/refresh", bodyLimit(64<<10), s.refreshPOST)
	v1.Delete("/auth/logout", s.logoutDELETE)
	v1.Get("/auth/validate", s.requireAuth, s.validateGET)
	v1.Get("/auth/session", s.sessionGET) // handler_auth_session.go: 200 signed in or out
	v1.Get("/profile", s.requireAuth, s.profileGET)
	v1.Put("/profile", s.requireAuth, bodyLimit(512<<10), s.profilePUT)
	v1.Post("/profile/password", s.requireAuth, bodyLimit(64<<10), s.profilePasswordPOST)
	v1.Get("/profile/export", s.requireAuth, s.profileExportGET)
	v1.Delete("/profile", s.requireAuth, bodyLimit(64<<10), s.profileDELETE)
	v1.Get("/devices", s.requireAuth, s.devicesGET)
	v1.Patch("/devices/:id", s.requireAuth, bodyLimit(64<<10), s.devicePATCH)
	v1.Delete("/devices/:id", s.requireAuth, s.deviceDELETE)
	v1.Get("/security/events", s.requireAuth, s.securityEventsGET)
	v1.Get("/auth/app-passwords", s.requireAuth, s.appPasswordsGET) // handler_app_passwords.go
	v1.Post("/auth/app-passwords", s.requireAuth, bodyLimit(4<<10), s.appPasswordsPOST)
	v1.Delete("/auth/app-passwords/:id", s.requireAuth, s.appPasswordDELETE)
	v1.Get("/admin/users", s.requireAdmin, s.adminUsersGET)
	v1.Patch("/admin/users/:id", s.requireAdmin, bodyLimit(64<<10), s.adminUserPATCH)
	v1.Delete("/admin/users/:id", s.requireAdmin, s.adminUserDELETE)
	v1.Get("/admin/audit", s.requireAdmin, s.adminAuditGET)

	// --- second factors (2fa, webauthn) ---
	// TOTP with backup codes, the login's second step, passkeys (also
	// passwordless), admin reset. Handlers: handler_2fa_*.go,
	// handler_webauthn_*.go, handler_admin_2fa.go.
	v1.Get("/auth/2fa/status", s.requireAuth, s.twoFactorStatusGET)
	v1.Post("/auth/2fa/totp/setup", s.requireAuth, s.totpSetupPOST)
	v1.Post("/auth/2fa/totp/verify", s.requireAuth, bodyLimit(4<<10), s.totpVerifyPOST)
	v1.Post("/auth/2fa/totp/disable", s.requireAuth, bodyLimit(4<<10), s.totpDisablePOST)
	v1.Post("/auth/2fa/backup-codes", s.requireAuth, bodyLimit(4<<10), s.backupCodesPOST)
	v1.Post("/auth/2fa/challenge", bodyLimit(64<<10), s.twoFactorChallengePOST)
	v1.Post("/auth/2fa/challenge/webauthn/begin", bodyLimit(8<<10), s.twoFactorWebAuthnBeginPOST)
	v1.Post("/auth/webauthn/register/begin", s.requireAuth, s.webauthnRegisterBeginPOST)
	v1.Post("/auth/webauthn/register/finish", s.requireAuth, bodyLimit(64<<10), s.webauthnRegisterFinishPOST)
	v1.Get("/auth/webauthn/credentials", s.requireAuth, s.webauthnCredentialsGET)
	v1.Patch("/auth/webauthn/credentials/:id", s.requireAuth, bodyLimit(4<<10), s.webauthnCredentialPATCH)
	v1.Delete("/auth/webauthn/credentials/:id", s.requireAuth, s.webauthnCredentialDELETE)
	v1.Post("/auth/webauthn/login/begin", s.webauthnLoginBeginPOST)
	v1.Post("/auth/webauthn/login/finish", bodyLimit(64<<10), s.webauthnLoginFinishPOST)
	v1.Post("/admin/users/:id/reset-2fa", s.requireAdmin, s.adminUserReset2FAPOST)

	// --- chat, conversations, models, websockets ---
	// Handlers: handler_chat.go, handler_conversations.go,
	// handler_chat_modes.go, handler_ollama.go, handler_ws_chat.go,
	// handler_ws_events.go (protocol: docs/websocket.md).
	v1.Post("/chat", s.requireAuth, bodyLimit(1<<20), s.chatPOST)
	v1.Post("/conversation", s.requireAuth, bodyLimit(1<<20), s.conversationPOST)
	v1.Get("/chat-modes", s.requireAuth, s.chatModesGET)
	v1.Post("/chat-modes", s.requireAuth, bodyLimit(64<<10), s.chatModesPOST)
	v1.Delete("/chat-modes/:key", s.requireAuth, s.chatModeDELETE)
	v1.Get("/conversations", s.requireAuth, s.conversationsGET)
	v1.Post("/conversations", s.requireAuth, bodyLimit(64<<10), s.conversationsPOST)
	v1.Get("/conversations/:id", s.requireAuth, s.conversationGET)
	v1.Patch("/conversations/:id", s.requireAuth, bodyLimit(64<<10), s.conversationPATCH)
	v1.Delete("/conversations/:id", s.requireAuth, s.conversationDELETE)
	v1.Get("/conversations/:id/messages", s.requireAuth, s.conversationMessagesGET)
	v1.Get("/messages/search", s.requireAuth, s.messagesSearchGET)
	v1.Get("/ollama/models", s.requireAuth, s.ollamaModelsGET)
	v1.Post("/ollama/pull", s.requireAuth, bodyLimit(64<<10), s.ollamaPullPOST)
	v1.Get("/ollama/pulls", s.requireAuth, s.ollamaPullsGET)
	v1.Get("/ollama/running", s.requireAuth, s.ollamaRunningGET)
	v1.Get("/ollama/health", s.requireAuth, s.ollamaHealthGET)
	v1.Get("/ws/chat", s.wsGate, wsUpgrade(s.wsChat))
	v1.Get("/ws/progress", s.wsGate, wsUpgrade(s.wsProgress))
	v1.Get("/ws/notifications", s.wsGate, wsUpgrade(s.wsNotifications))

	// --- documents ---
	// Uploads stream to disk (streamRoute); ingestion progress comes on
	// /ws/progress. Handlers: handler_documents.go.
	s.streamRoute(v1, fiber.MethodPost, "/documents", s.uploadLimit(), s.requireAuth, s.documentsPOST)
	v1.Get("/documents", s.requireAuth, s.documentsGET)
	v1.Get("/documents/search", s.requireAuth, s.documentsSearchGET)
	v1.Get("/documents/embedder", s.requireAuth, s.documentsEmbedderGET) // before /documents/:id
	v1.Post("/documents/reindex", s.requireAuth, s.documentsReindexPOST)
	v1.Post("/documents/import-url", s.requireAuth, bodyLimit(8<<10), s.documentsImportURLPOST) // handler_search.go
	v1.Get("/documents/:id", s.requireAuth, s.documentGET)
	v1.Patch("/documents/:id", s.requireAuth, bodyLimit(8<<10), s.documentPATCH)
	v1.Delete("/documents/:id", s.requireAuth, s.documentDELETE)
	v1.Get("/documents/:id/content", s.requireAuth, s.documentContentGET)
	v1.Get("/documents/:id/file", s.requireAuth, s.documentFileGET)
	v1.Post("/documents/:id/reindex", s.requireAuth, s.documentReindexPOST)

	// --- tasks ---
	// Handlers: handler_tasks.go. {id} matches numbers only (<int>), so
	// /tasks/due, /tasks/bulk, /tasks/categories, /tasks/parse, ... never
	// reach a task's route, whatever order they are registered in.
	v1.Get("/tasks", s.requireAuth, s.tasksGET)
	v1.Post("/tasks", s.requireAuth, bodyLimit(512<<10), s.tasksPOST)
	v1.Post("/tasks/bulk", s.requireAuth, bodyLimit(64<<10), s.tasksBulkPOST)
	v1.Get("/tasks/due", s.requireAuth, s.tasksDueGET)
	v1.Get("/tasks/categories", s.requireAuth, s.taskCategoriesGET)
	v1.Post("/tasks/categories", s.requireAuth, bodyLimit(8<<10), s.taskCategoriesPOST)
	v1.Patch("/tasks/categories/:id<int>", s.requireAuth, bodyLimit(8<<10), s.taskCategoryPATCH)
	v1.Delete("/tasks/categories/:id<int>", s.requireAuth, s.taskCategoryDELETE)
	v1.Get("/tasks/:id<int>", s.requireAuth, s.taskGET)
	v1.Patch("/tasks/:id<int>", s.requireAuth, bodyLimit(512<<10), s.taskPATCH)
	v1.Delete("/tasks/:id<int>", s.requireAuth, s.taskDELETE)

	// --- quick add and opportunities ---
	// Handlers: handler_tasks_parse.go, handler_tasks_opportunities.go.
	v1.Post("/tasks/parse", s.requireAuth, bodyLimit(16<<10), s.tasksParsePOST)
	v1.Get("/tasks/opportunities", s.requireAuth, s.opportunitiesGET)
	v1.Get("/tasks/opportunities/settings", s.requireAuth, s.opportunitySettingsGET)
	v1.Put("/tasks/opportunities/settings", s.requireAuth, bodyLimit(64<<10), s.opportunitySettingsPUT)
	v1.Get("/tasks/opportunities/:id<int>", s.requireAuth, s.opportunityGET)
	v1.Post("/tasks/opportunities/:id<int>/accept", s.requireAuth, bodyLimit(64<<10), s.opportunityAcceptPOST)
	v1.Post("/tasks/opportunities/:id<int>/dismiss", s.requireAuth, s.opportunityDismissPOST)
	v1.Post("/conversations/:id/opportunities", s.requireAuth, s.conversationOpportunitiesPOST)
	v1.Post("/documents/:id/opportunities", s.requireAuth, s.documentOpportunitiesPOST)

	// --- calendar ---
	// Calendars, events (series expanded on the server), ICS import and
	// export, private feed URLs (the feed itself is public, by token) and
	// feed subscriptions. Handlers: handler_calendar.go.
	v1.Get("/calendar/calendars", s.requireAuth, s.calendarsGET)
	v1.Post("/calendar/calendars", s.requireAuth, bodyLimit(8<<10), s.calendarsPOST)
	v1.Get("/calendar/calendars/:id", s.requireAuth, s.calendarGET)
	v1.Patch("/calendar/calendars/:id", s.requireAuth, bodyLimit(8<<10), s.calendarPATCH)
	v1.Delete("/calendar/calendars/:id", s.requireAuth, s.calendarDELETE)
	v1.Get("/calendar/calendars/:id/export.ics", s.requireAuth, s.calendarExportGET)
	v1.Post("/calendar/calendars/:id/refresh", s.requireAuth, s.calendarRefreshPOST)
	v1.Post("/calendar/calendars/:id/private-feed", s.requireAuth, s.privateFeedPOST)
	v1.Delete("/calendar/calendars/:id/private-feed", s.requireAuth, s.privateFeedDELETE)
	v1.Get("/calendar/feed/:token", s.privateFeedGET) // public: the token is the credential
	v1.Get("/calendar/events", s.requireAuth, s.eventsGET)
	v1.Post("/calendar/events", s.requireAuth, bodyLimit(256<<10), s.eventsPOST)
	v1.Get("/calendar/events/:id", s.requireAuth, s.eventGET)
	v1.Patch("/calendar/events/:id", s.requireAuth, bodyLimit(256<<10), s.eventPATCH)
	v1.Delete("/calendar/events/:id", s.requireAuth, s.eventDELETE)
	s.streamRoute(v1, fiber.MethodPost, "/calendar/import", importLimit, s.requireAuth, s.calendarImportPOST)

	// --- semantic tools, web search (research) ---
	// Handlers: handler_semantic.go, handler_search.go (docs/research.md).
	// /search never needs a client certificate: the HTTPS listener asks
	// for none (only the mTLS listener does, for everything it serves).
	v1.Post("/semantic/summary", s.requireAuth, bodyLimit(semanticBodyLimit), semanticTool(s.app.Semantic.Summary))
	v1.Post("/semantic/keywords", s.requireAuth, bodyLimit(semanticBodyLimit), semanticTool(s.app.Semantic.Keywords))
	v1.Post("/semantic/entities", s.requireAuth, bodyLimit(semanticBodyLimit), semanticTool(s.app.Semantic.Entities))
	v1.Post("/semantic/sentiment", s.requireAuth, bodyLimit(semanticBodyLimit), semanticTool(s.app.Semantic.Sentiment))
	v1.Post("/semantic/similarity", s.requireAuth, bodyLimit(2*semanticBodyLimit), semanticTool(s.app.Semantic.Similarity))
	v1.Post("/semantic/language", s.requireAuth, bodyLimit(semanticBodyLimit), semanticTool(s.app.Semantic.Language))
	v1.Get("/search", s.requireAuth, s.searchGET)
	v1.Get("/search/status", s.requireAuth, s.searchStatusGET)
	v1.Get("/admin/web-search", s.requireAdmin, s.adminWebSearchGET)
	v1.Put("/admin/web-search", s.requireAdmin, bodyLimit(8<<10), s.adminWebSearchPUT)
	v1.Delete("/admin/web-search", s.requireAdmin, s.adminWebSearchDELETE)

	// --- certificates (admin) ---
	// The client CA of the mTLS listener. Handlers: handler_admin_certificates.go.
	v1.Get("/admin/certificates", s.requireAdmin, s.adminCertificatesGET)
	v1.Post("/admin/certificates", s.requireAdmin, bodyLimit(64<<10), s.adminCertificatesPOST)
	v1.Delete("/admin/certificates/:serial", s.requireAdmin, s.adminCertificateDELETE)

	// --- application settings (admin) ---
	// The model server chats go to. Handlers: handler_settings.go.
	v1.Get("/admin/model-server", s.requireAdmin, s.adminModelServerGET)
	v1.Put("/admin/model-server", s.requireAdmin, bodyLimit(8<<10), s.adminModelServerPUT)
	v1.Delete("/admin/model-server", s.requireAdmin, s.adminModelServerDELETE)

	// Unknown API paths answer JSON 404; everything else is the web app.
	api.All("/*", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}
