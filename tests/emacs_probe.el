;;; emacs_probe.el --- run by tests/test_emacs.py in `emacs --batch'  -*- lexical-binding: t -*-
;; Load the eglot snippet of docs/editors.md, open the .seg file, wait (bounded) for the
;; server's diagnostics through flymake, complete at a point with eglot's
;; completion-at-point, and write what Emacs got as JSON. Any error ends up in the JSON.
(require 'json)

(defun segdsl-probe--run (timeout)
  (unless (require 'eglot nil t)
    (error "eglot is not installed"))
  (load (getenv "SEGDSL_EMACS_SNIPPET") nil t)
  (find-file (getenv "SEGDSL_EMACS_FILE"))
  (let ((result (list (cons 'mode (symbol-name major-mode)))))
    ;; eglot-ensure waits for the end of a command, which batch mode never reaches.
    (run-hooks 'post-command-hook)
    (let ((deadline (+ (float-time) timeout)))
      (while (and (< (float-time) deadline) (null (flymake-diagnostics)))
        (accept-process-output nil 0.05)))
    (push (cons 'server (and (eglot-current-server)
                             (plist-get (eglot--server-info (eglot-current-server)) :name)))
          result)
    (push (cons 'diagnostics
                (vconcat
                 (mapcar (lambda (d)
                           (let ((beg (flymake-diagnostic-beg d)))
                             `((line . ,(line-number-at-pos beg))
                               (char . ,(save-excursion (goto-char beg)
                                                        (- beg (line-beginning-position))))
                               (text . ,(buffer-substring beg (flymake-diagnostic-end d)))
                               (type . ,(symbol-name (flymake-diagnostic-type d)))
                               (message . ,(flymake-diagnostic-text d)))))
                         (flymake-diagnostics))))
          result)
    (goto-char (point-min))
    (forward-line (1- (string-to-number (getenv "SEGDSL_EMACS_COMPLETE_LINE"))))
    (search-forward (getenv "SEGDSL_EMACS_COMPLETE_AFTER"))
    (let ((capf (eglot-completion-at-point)))
      (push (cons 'completions (vconcat (mapcar #'substring-no-properties
                                                (all-completions "" (nth 2 capf)))))
            result))
    result))

(let ((out (getenv "SEGDSL_EMACS_OUT"))
      (result (condition-case err
                  (segdsl-probe--run (string-to-number (getenv "SEGDSL_EMACS_TIMEOUT")))
                (error (list (cons 'error (error-message-string err)))))))
  (with-temp-file out
    (insert (json-encode result)))
  (kill-emacs 0))
