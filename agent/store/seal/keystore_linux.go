//go:build linux

package seal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/godbus/dbus/v5"
)

// SystemKeystore returns the Secret Service of the user's session bus
// (GNOME Keyring, KWallet…), or an error wrapping ErrNoKeystore when the
// session has no bus or no Secret Service on it. It does not launch a bus.
func SystemKeystore() (Keystore, error) {
	type dialed struct {
		conn *dbus.Conn
		err  error
	}
	ch := make(chan dialed, 1)
	go func() {
		conn, err := dbus.SessionBusPrivateNoAutoStartup()
		if err == nil {
			if err = conn.Auth(nil); err == nil {
				err = conn.Hello()
			}
			if err != nil {
				conn.Close()
			}
		}
		ch <- dialed{conn, err}
	}()
	select {
	case d := <-ch:
		if d.err != nil {
			return nil, fmt.Errorf("%w: session bus: %v", ErrNoKeystore, d.err)
		}
		return secretServiceOn(d.conn)
	case <-time.After(ssTimeout):
		go func() { // a bus that answers late: do not keep the connection
			if d := <-ch; d.err == nil {
				d.conn.Close()
			}
		}()
		return nil, fmt.Errorf("%w: session bus did not answer in %v", ErrNoKeystore, ssTimeout)
	}
}

// secretServiceOn returns the Secret Service reached through conn, which it
// then owns, if one is running or can be started by the bus.
func secretServiceOn(conn *dbus.Conn) (*secretService, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ssTimeout)
	defer cancel()
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, ssDest).Store(&has); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: ask the bus: %v", ErrNoKeystore, err)
	}
	if !has {
		var names []string
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil || !slices.Contains(names, ssDest) {
			conn.Close()
			return nil, fmt.Errorf("%w: no Secret Service on the session bus", ErrNoKeystore)
		}
	}
	return &secretService{conn: conn}, nil
}

// secretService keeps secrets as items of the default collection of the
// freedesktop.org Secret Service, each found again by a random attribute
// (the handle). Secrets cross the bus in the "plain" session algorithm: the
// session bus is the user's own, and the keystore's encryption at rest is
// what counts.
type secretService struct {
	conn *dbus.Conn
}

const (
	ssDest      = "org.freedesktop.secrets"
	ssPath      = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService   = "org.freedesktop.Secret.Service"
	ssTimeout   = 10 * time.Second
	ssAttrApp   = "application"
	ssAttrSlot  = "agentdesk-slot"
	ssAppName   = "agentdesk"
	ssNoPrompt  = dbus.ObjectPath("/")
	ssItemLabel = "agentdesk data file key"
)

// ssSecret is the Secret Service's Secret struct, (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

func (k *secretService) Name() string { return "secret-service" }

func (k *secretService) call(ctx context.Context, path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	return k.conn.Object(ssDest, path).CallWithContext(ctx, method, 0, args...)
}

// session opens a plain session; close it with the returned function.
func (k *secretService) session(ctx context.Context) (dbus.ObjectPath, func(), error) {
	var out dbus.Variant
	var path dbus.ObjectPath
	if err := k.call(ctx, ssPath, ssService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &path); err != nil {
		return "", nil, fmt.Errorf("%w: open session: %v", ErrKeystore, err)
	}
	return path, func() { k.call(ctx, path, "org.freedesktop.Secret.Session.Close") }, nil
}

// unlock unlocks objects (a collection or items) that need it; a keystore
// that wants to prompt the user is reported locked: the desk does not
// drive prompts.
func (k *secretService) unlock(ctx context.Context, objs []dbus.ObjectPath) error {
	var done []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := k.call(ctx, ssPath, ssService+".Unlock", objs).Store(&done, &prompt); err != nil {
		return fmt.Errorf("%w: unlock: %v", ErrKeystore, err)
	}
	if prompt != ssNoPrompt || len(done) < len(objs) {
		return fmt.Errorf("%w: the keyring is locked and wants the user to unlock it", ErrKeystore)
	}
	return nil
}

func (k *secretService) Protect(secret []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ssTimeout)
	defer cancel()
	var coll dbus.ObjectPath
	if err := k.call(ctx, ssPath, ssService+".ReadAlias", "default").Store(&coll); err != nil {
		return nil, fmt.Errorf("%w: default collection: %v", ErrKeystore, err)
	}
	if coll == ssNoPrompt {
		return nil, fmt.Errorf("%w: the keystore has no default collection", ErrKeystore)
	}
	if err := k.unlock(ctx, []dbus.ObjectPath{coll}); err != nil {
		return nil, err
	}
	sess, closeSession, err := k.session(ctx)
	if err != nil {
		return nil, err
	}
	defer closeSession()
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	handle := []byte(hex.EncodeToString(id))
	props := map[string]dbus.Variant{
		"org.freedesktop.Secret.Item.Label":      dbus.MakeVariant(ssItemLabel),
		"org.freedesktop.Secret.Item.Attributes": dbus.MakeVariant(map[string]string{ssAttrApp: ssAppName, ssAttrSlot: string(handle)}),
	}
	var item, prompt dbus.ObjectPath
	s := ssSecret{Session: sess, Parameters: []byte{}, Value: secret, ContentType: "application/octet-stream"}
	if err := k.call(ctx, coll, "org.freedesktop.Secret.Collection.CreateItem", props, s, true).Store(&item, &prompt); err != nil {
		return nil, fmt.Errorf("%w: create item: %v", ErrKeystore, err)
	}
	if prompt != ssNoPrompt {
		return nil, fmt.Errorf("%w: storing the key wants the user to confirm", ErrKeystore)
	}
	return handle, nil
}

func (k *secretService) Unprotect(handle []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ssTimeout)
	defer cancel()
	item, err := k.find(ctx, handle)
	if err != nil {
		return nil, err
	}
	sess, closeSession, err := k.session(ctx)
	if err != nil {
		return nil, err
	}
	defer closeSession()
	var s ssSecret
	if err := k.call(ctx, item, "org.freedesktop.Secret.Item.GetSecret", sess).Store(&s); err != nil {
		return nil, fmt.Errorf("%w: get secret: %v", ErrKeystore, err)
	}
	return s.Value, nil
}

// Delete removes the item of handle (the keyring keeps no key of a slot
// that was removed).
func (k *secretService) Delete(handle []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), ssTimeout)
	defer cancel()
	item, err := k.find(ctx, handle)
	if err != nil {
		return err
	}
	var prompt dbus.ObjectPath
	if err := k.call(ctx, item, "org.freedesktop.Secret.Item.Delete").Store(&prompt); err != nil {
		return fmt.Errorf("%w: delete item: %v", ErrKeystore, err)
	}
	if prompt != ssNoPrompt {
		return fmt.Errorf("%w: deleting the key wants the user to confirm", ErrKeystore)
	}
	return nil
}

// find returns the unlocked item of handle.
func (k *secretService) find(ctx context.Context, handle []byte) (dbus.ObjectPath, error) {
	if len(handle) == 0 {
		return "", errors.New("secret service: empty handle")
	}
	var unlocked, locked []dbus.ObjectPath
	attrs := map[string]string{ssAttrApp: ssAppName, ssAttrSlot: string(handle)}
	if err := k.call(ctx, ssPath, ssService+".SearchItems", attrs).Store(&unlocked, &locked); err != nil {
		return "", fmt.Errorf("%w: search: %v", ErrKeystore, err)
	}
	if len(unlocked) > 0 {
		return unlocked[0], nil
	}
	if len(locked) == 0 {
		return "", fmt.Errorf("%w: no item for this slot (keyring reset, or another machine)", ErrKeystore)
	}
	if err := k.unlock(ctx, locked[:1]); err != nil {
		return "", err
	}
	return locked[0], nil
}

// Close closes the keystore's bus connection.
func (k *secretService) Close() error { return k.conn.Close() }
