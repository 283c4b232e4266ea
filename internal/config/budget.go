package config

import "github.com/shoal-dev/shoal/internal/box"

// Role is what this server runs, for its budget in a small box.
func (s *Server) Role() box.Role {
	if s.DisableAgent {
		return box.ServerOnly
	}
	return box.ServerWithNode
}

// Budget is this server's share of its box (zero in a large one).
func (s *Server) Budget() box.Budget { return s.Box.BudgetFor(s.Role()) }

// Budget is this agent's share of its box (zero in a large one).
func (a *AgentCommand) Budget() box.Budget { return a.Box.BudgetFor(box.Agent) }
