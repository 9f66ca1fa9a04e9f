package stream

// CameraSessionDone is the current connection's Done channel (nil between
// connections), so that a test can tell when the camera saw the
// connection end.
func CameraSessionDone(c *Camera) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil
	}
	return c.sess.Done()
}

// ReadFileAsCamera makes ReadFile end the window at a size change, as a
// camera does, until the test ends.
func ReadFileAsCamera(t interface{ Cleanup(func()) }) {
	offlineKeepsSize = false
	t.Cleanup(func() { offlineKeepsSize = true })
}
