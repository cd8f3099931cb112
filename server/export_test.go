package server

// SetMaxReplyBytes lets tests lower the reply cap for new connections.
func (s *Server) SetMaxReplyBytes(n int) { s.maxReplyBytes = n }
