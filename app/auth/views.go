package auth

import (
	"time"

	"github.com/aiwfe/aiwfe/store"
)

// UserView is a user as the API shows it.
type UserView struct {
	ID          int64      `json:"id"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Status      string     `json:"status"`
	TFAEnabled  bool       `json:"tfa_enabled"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// ViewUser converts a row.
func ViewUser(u *store.User) *UserView {
	return &UserView{ID: u.ID, Email: u.Email, Role: u.Role, Status: u.Status, TFAEnabled: u.TFAEnabled, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt}
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// Paging normalises page (from 1) and per_page (1..100, default 20).
func Paging(page, perPage int) (int, int) {
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = 20
	}
	if perPage > 100 {
		perPage = 100
	}
	return page, perPage
}

// EventView is a security event as the API shows it.
type EventView struct {
	ID         int64     `json:"id"`
	Type       string    `json:"type"`
	Success    bool      `json:"success"`
	Reason     string    `json:"reason"`
	IP         string    `json:"ip"`
	DeviceName string    `json:"device_name"`
	Email      string    `json:"email"`
	UserID     int64     `json:"user_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// DeviceView is a device as the API shows it.
type DeviceView struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Trusted      bool       `json:"trusted"`
	TrustedUntil *time.Time `json:"trusted_until"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	LastIP       string     `json:"last_ip"`
	Current      bool       `json:"current"`
}
