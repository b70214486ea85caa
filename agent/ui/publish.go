package ui

import (
	"errors"
	"fmt"
)

// ErrNeedsHub is what PackTools.Publish returns when no hub is configured.
var ErrNeedsHub = errors.New("publish: no hub configured")

// PublishError is a publish the hub refused or could not take, as a message
// id the trainer view translates ("tr.refused.auth", "tr.refused.role",
// "tr.refused.invalid", "tr.hubdown"…) and the hub's own words as detail.
type PublishError struct {
	ID     string
	Detail string
}

func (e *PublishError) Error() string { return "publish: " + e.ID + ": " + e.Detail }

// publishMessage is what the trainer view says about a failed publish.
// An error that is not a PublishError is taken as ErrNeedsHub (what
// PackTools without a hub returned before PublishError existed).
func publishMessage(lang string, err error) string {
	var pe *PublishError
	if errors.As(err, &pe) {
		if pe.Detail == "" {
			return tr(lang, pe.ID)
		}
		return fmt.Sprintf("%s\n%s", tr(lang, pe.ID), pe.Detail)
	}
	return tr(lang, "tr.needshub")
}

func init() {
	for id, m := range map[string][3]string{
		"tr.published":       {"已发布到中心，各坐席下次同步时取用", "已發佈到中心，各坐席下次同步時取用", "Published to the hub; desks pick it up at their next sync"},
		"tr.hubdown":         {"连不上中心，未发布", "連不上中心，未發佈", "The hub cannot be reached; nothing was published"},
		"tr.refused.auth":    {"中心不认识这个令牌，未发布", "中心不認識這個權杖，未發佈", "The hub does not know this token; nothing was published"},
		"tr.refused.role":    {"这个令牌不是培训师令牌，不能发布", "這個權杖不是培訓師權杖，不能發佈", "This token is not a trainer's; it cannot publish"},
		"tr.refused.invalid": {"中心拒绝：话术包无效", "中心拒絕：話術包無效", "The hub refused the pack: it does not validate"},
		"tr.refused.other":   {"中心拒绝发布", "中心拒絕發佈", "The hub refused to publish"},
	} {
		messages[id] = m
	}
}
